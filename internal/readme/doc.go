// Package readme holds the test that keeps the README's Go snippets true:
// every ```go block of README.md must compile as shown (go vet type-checks
// them, in order, each seeing the variables of the blocks before it).
package readme
