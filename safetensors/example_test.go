package safetensors_test

import (
	"bytes"
	"fmt"

	"github.com/descent-go/descent/safetensors"
)

// Two tensors and a metadata entry written to a buffer and read back.
func Example() {
	w := []float32{0.5, -1, 2, 4}
	b := []float64{0.25}
	var buf bytes.Buffer
	if _, err := safetensors.Write(&buf, map[string]string{"step": "3"}, []safetensors.Out{
		safetensors.Of("w", []int{2, 2}, w),
		safetensors.Of("b", []int{1}, b),
	}); err != nil {
		panic(err)
	}

	f, err := safetensors.Parse(buf.Bytes())
	if err != nil {
		panic(err)
	}
	for _, t := range f.Tensors {
		fmt.Println(t.Name, t.Dtype, t.Shape, len(t.Data), "bytes")
	}
	t, _ := f.Tensor("w")
	got := make([]float32, 4)
	safetensors.Decode(got, t.Data)
	fmt.Println("w", got, "step", f.Metadata["step"])
	// Output:
	// w F32 [2 2] 16 bytes
	// b F64 [1] 8 bytes
	// w [0.5 -1 2 4] step 3
}
