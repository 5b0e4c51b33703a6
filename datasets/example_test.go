package datasets_test

import (
	"fmt"

	"github.com/descent-go/descent/datasets"
)

func ExampleLoad() {
	d, err := datasets.Load("iris")
	if err != nil {
		panic(err)
	}
	fmt.Println(d.Rows, d.Cols, d.Classes, d.TargetNames)
	fmt.Println(d.FeatureNames[0], d.Row(0), d.Y[0])

	train, test := d.Split(0.2, 1)
	mean, scale := train.Standardize()
	test.StandardizeWith(mean, scale)
	fmt.Println(train.Rows, test.Rows)
	// Output:
	// 150 4 3 [setosa versicolor virginica]
	// sepal length (cm) [5.1 3.5 1.4 0.2] 0
	// 120 30
}
