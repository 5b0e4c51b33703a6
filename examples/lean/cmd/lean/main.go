// Command lean trains the digits dataset with Adam over float32 state,
// 8-bit state and bfloat16 parameters with float32 master weights (package
// lean), prints the final validation accuracy and loss of each, and draws
// the loss curves:
//
//	go run ./examples/lean/cmd/lean -svg docs/lean-quality.svg
package main

import (
	"flag"
	"fmt"
	"log"
	"slices"

	"github.com/descent-go/descent/examples/lean"
)

func main() {
	cfg := lean.DefaultConfig()
	flag.IntVar(&cfg.Epochs, "epochs", cfg.Epochs, "passes over the training rows")
	svg := flag.String("svg", "", "draw the validation loss curves into this SVG file")
	flag.Parse()
	runs, err := lean.Compare(cfg)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("mean of %d seeds, %d epochs, batch %d, Adam lr %g\n\n", cfg.Seeds, cfg.Epochs, cfg.Batch, cfg.LR)
	fmt.Printf("| model | storage | val. accuracy | (seeds: min – max) | val. loss | optimizer memory (bytes/param) |\n|---|---|---:|---:|---:|---:|\n")
	for _, r := range runs {
		fmt.Printf("| %s | %s | %.2f %% | %.2f – %.2f | %.4f | %.2f |\n", r.Model, r.Storage, 100*r.Final(),
			100*slices.Min(r.Finals), 100*slices.Max(r.Finals), r.Loss[len(r.Loss)-1], float64(r.StateBytes)/float64(r.Params))
	}
	for m, g := range lean.MaxGap(runs) {
		fmt.Printf("%s: largest accuracy gap to fp32: %.2f points\n", m, g)
	}
	if *svg != "" {
		if err := lean.Plot(*svg, runs); err != nil {
			log.Fatal(err)
		}
	}
}
