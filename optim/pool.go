package optim

import (
	"sync"
	"sync/atomic"
)

// runner runs one work item of the current phase.
type runner interface {
	runItem(i int)
}

// pool is a persistent set of worker goroutines. run hands out items
// 0..n-1 through an atomic counter to the calling goroutine and up to
// workers-1 helpers, and returns when all are done. Which goroutine runs an
// item never affects a result: items write disjoint memory and per-item
// results are combined by the caller in item order.
//
// A run allocates nothing: a helper is woken by a send of struct{} on a
// buffered channel, and reports completion through a WaitGroup.
type pool struct {
	workers int // goroutines that run items, the caller included
	wake    chan struct{}
	wg      sync.WaitGroup
	next    atomic.Int64
	n       int64
	task    runner

	closeOnce sync.Once
	closed    atomic.Bool
}

func newPool(workers int, task runner) *pool {
	p := &pool{workers: workers, task: task}
	if workers > 1 {
		p.wake = make(chan struct{}, workers-1)
		for range workers - 1 {
			go p.loop()
		}
	}
	return p
}

func (p *pool) loop() {
	for range p.wake {
		p.drain()
		p.wg.Done()
	}
}

func (p *pool) drain() {
	for {
		i := p.next.Add(1) - 1
		if i >= p.n {
			return
		}
		p.task.runItem(int(i))
	}
}

// run runs items 0..n-1 and returns when every one is done. After close it
// runs them all on the calling goroutine.
func (p *pool) run(n int) {
	if n <= 0 {
		return
	}
	helpers := min(p.workers-1, n-1)
	if helpers <= 0 || p.closed.Load() {
		for i := range n {
			p.task.runItem(i)
		}
		return
	}
	p.n = int64(n)
	p.next.Store(0)
	p.wg.Add(helpers)
	for range helpers {
		p.wake <- struct{}{}
	}
	p.drain()
	p.wg.Wait()
}

// close stops the helpers. It is idempotent; run must not be running.
func (p *pool) close() {
	p.closeOnce.Do(func() {
		p.closed.Store(true)
		if p.wake != nil {
			close(p.wake)
		}
	})
}
