// Command hello is the program inside vouch's sample image. It prints a
// greeting and exits; mksample cross-compiles it for every sample platform.
package main

import "os"

func main() {
	name := "world"
	if len(os.Args) > 1 {
		name = os.Args[1]
	}
	_, _ = os.Stdout.WriteString("hello, " + name + ", from the vouch sample image\n")
}
