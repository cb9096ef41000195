/* mmap flag bits judged by the program (--partial-support): the program maps an anonymous
 * private page with MAP_NORESERVE and survives a failed or faked mapping by using a buffer of
 * its own. Built static, it makes no other mmap call, so every mmap verdict is the program's.
 * Until the launcher makes no call after installing the filter (issue 10, the isolation work),
 * stubbing mmap also stops the launcher, and these verdicts judge the launcher instead.
 *
 * @kind sequential
 * @explore --partial-support
 * @after isolation
 * @expect mmap both
 * @expect-subfeature mmap bit MAP_ANONYMOUS works works
 * @expect-subfeature mmap bit MAP_NORESERVE works works
 * @expect-subfeature mmap bit MAP_PRIVATE works works
 */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

static char fallback[4096];

int main(void) {
	char *page = mmap(NULL, sizeof fallback, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (page == MAP_FAILED || page == NULL) page = fallback;
	strcpy(page, "ok");
	puts(page);
	return 0;
}
