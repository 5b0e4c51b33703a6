package readme

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The packages a snippet may use without importing them (snippets show
// statements, not files).
var imports = map[string]string{
	"context":     "context.Background",
	"fmt":         "fmt.Sprint",
	"log":         "log.Fatal",
	"kernels":     "kernels.Impl",
	"optim":       "optim.New",
	"schedule":    "schedule.NewCosine",
	"datasets":    "datasets.Load",
	"linear":      "linear.NewSoftmax[float64]",
	"train":       "train.New",
	"tune":        "tune.Grid",
	"safetensors": "safetensors.Parse",
}

var importPath = map[string]string{
	"context": "context", "fmt": "fmt", "log": "log",
	"kernels":     "github.com/descent-go/descent/kernels",
	"optim":       "github.com/descent-go/descent/optim",
	"schedule":    "github.com/descent-go/descent/optim/schedule",
	"datasets":    "github.com/descent-go/descent/datasets",
	"linear":      "github.com/descent-go/descent/linear",
	"train":       "github.com/descent-go/descent/train",
	"tune":        "github.com/descent-go/descent/tune",
	"safetensors": "github.com/descent-go/descent/safetensors",
}

// TestSnippetsCompile builds one program from the README's Go blocks —
// each block in a scope nested in the previous one's, so it sees their
// variables, with "_ = x" after it for every variable it declares — and
// type-checks it with go vet.
func TestSnippetsCompile(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile("(?s)```go\n(.*?)```").FindAllSubmatchIndex(readme, -1)
	if len(blocks) < 4 {
		t.Fatalf("%d Go blocks in README.md; want the API tour's (at least 4)", len(blocks))
	}
	var body strings.Builder
	open := 0
	for i, b := range blocks {
		src := string(readme[b[2]:b[3]])
		line := strings.Count(string(readme[:b[2]]), "\n") + 1
		names, err := declared(src)
		if err != nil {
			t.Errorf("README.md:%d: block %d does not parse as statements: %v", line, i, err)
			continue
		}
		fmt.Fprintf(&body, "{\n//line README.md:%d\n%s\n", line, src)
		open++
		for _, n := range names {
			fmt.Fprintf(&body, "_ = %s\n", n)
		}
	}
	body.WriteString(strings.Repeat("}\n", open))

	var prog strings.Builder
	prog.WriteString("// Code written by TestSnippetsCompile from README.md; removed after the test.\n\npackage main\n\nimport (\n")
	for name, path := range importPath {
		fmt.Fprintf(&prog, "\t%s %q\n", name, path)
	}
	prog.WriteString(")\n\n")
	for _, use := range imports {
		fmt.Fprintf(&prog, "var _ = %s\n", use)
	}
	fmt.Fprintf(&prog, "\nfunc main() {\n%s}\n", body.String())

	dir, err := os.MkdirTemp("testdata", "snippets-")
	if err != nil {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if dir, err = os.MkdirTemp("testdata", "snippets-"); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		os.RemoveAll(dir)
		os.Remove("testdata") // only if empty
	})
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(prog.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("go", "vet", "./"+dir).CombinedOutput()
	if err != nil {
		t.Fatalf("the README's Go snippets do not compile as shown:\n%s", out)
	}
}

// declared returns the variables src (statements) declares with := or
// var at its top level.
func declared(src string) ([]string, error) {
	f, err := parser.ParseFile(token.NewFileSet(), "", "package p\nfunc _() {\n"+src+"\n}", 0)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, st := range f.Decls[0].(*ast.FuncDecl).Body.List {
		switch s := st.(type) {
		case *ast.AssignStmt:
			if s.Tok == token.DEFINE {
				for _, l := range s.Lhs {
					if id, ok := l.(*ast.Ident); ok && id.Name != "_" {
						names = append(names, id.Name)
					}
				}
			}
		case *ast.DeclStmt:
			if g, ok := s.Decl.(*ast.GenDecl); ok && g.Tok == token.VAR {
				for _, sp := range g.Specs {
					for _, id := range sp.(*ast.ValueSpec).Names {
						if id.Name != "_" {
							names = append(names, id.Name)
						}
					}
				}
			}
		}
	}
	return names, nil
}
