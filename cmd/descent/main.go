// Command descent is descent's front door: it describes the machine and the
// kernels chosen for it, benchmarks the kernels against the machine's
// bandwidth, trains linear models and searches hyper-parameters.
//
//	descent info                      CPU, features, caches, kernels, BLAS, Go
//	descent bench [--quick] [--json] [--svg FILE] [--threads 1,2]
//	                                  kernel throughput beside the roofline
//	descent train [--dataset NAME | --csv FILE --model M] [--optim adam] [--save FILE | --resume FILE]
//	                                  train a linear model (default: softmax on digits)
//	descent tune [--grid | --random N] [--lr-find]
//	                                  cross-validated hyper-parameter search
//
// Run a sub-command with -h for its flags.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
)

type command struct {
	name, summary string
	run           func(args []string, stdout, stderr io.Writer) error
}

var commands []command

func register(c command) { commands = append(commands, c) }

// errUsage reports bad command-line use; the message has been printed.
var errUsage = errors.New("usage")

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: descent <command> [flags]\n\ncommands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands {
		if c.name == args[0] {
			err := c.run(args[1:], stdout, stderr)
			switch {
			case err == nil:
				return 0
			case errors.Is(err, flag.ErrHelp):
				return 0
			case errors.Is(err, errUsage):
				return 2
			}
			fmt.Fprintf(stderr, "descent %s: %v\n", c.name, err)
			return 1
		}
	}
	fmt.Fprintf(stderr, "descent: unknown command %q\n", args[0])
	usage(stderr)
	return 2
}

// newFlags returns a flag set for a sub-command that reports errors as
// errUsage after printing them.
func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("descent "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "%s: unexpected arguments %q\n", fs.Name(), fs.Args())
		return errUsage
	}
	return nil
}
