/* An in-place editor: it reads counter.txt, writes count+1 to a temporary file beside it and
 * renames it over the original, as `sed -i` does. The test expects count=1, so every run must
 * start from the user's count=0: each run sees the files through a copy-on-write layer of its
 * own, the test script sees the run's writes, and after the analysis the user's file is as it
 * was, with no stray temporary file.
 *
 * rename stubbed: the program reports the error. Faked: the file keeps count=0.
 *
 * @kind sequential
 * @setup file counter.txt count=0
 * @test grep -qx 'count=1' counter.txt
 * @expect rename required
 * @expect-unchanged counter.txt
 */
#include <stdio.h>

int main(void) {
	FILE *in = fopen("counter.txt", "r");
	int count;
	if (!in || fscanf(in, "count=%d", &count) != 1) return 1;
	fclose(in);
	FILE *out = fopen("counter.txt.new", "w");
	if (!out || fprintf(out, "count=%d\n", count + 1) < 0 || fclose(out) != 0) return 2;
	if (rename("counter.txt.new", "counter.txt") != 0) return 3;
	return 0;
}
