package report

import (
	"strconv"
	"strings"
)

// splitPosition splits a position as checks carry it, "file:line:col"
// or "file:line", into its parts; a part that is missing is zero or
// empty. The file may itself hold colons (a Windows drive letter): only
// the trailing numbers are taken off.
func splitPosition(pos string) (file string, line, col int) {
	file = pos
	var nums []int
	for len(nums) < 2 {
		i := strings.LastIndexByte(file, ':')
		if i < 0 {
			break
		}
		n, err := strconv.Atoi(file[i+1:])
		if err != nil || n < 1 {
			break
		}
		nums = append(nums, n)
		file = file[:i]
	}
	switch len(nums) {
	case 1:
		line = nums[0]
	case 2:
		line, col = nums[1], nums[0]
	}
	if file == "-" {
		file = ""
	}
	return file, line, col
}
