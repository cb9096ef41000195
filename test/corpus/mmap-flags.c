/* mmap flag bits judged by the program (--partial-support). The program needs one mapping (its
 * own file, MAP_SHARED, read) and survives the failure of another (MAP_PRIVATE|MAP_ANONYMOUS|
 * MAP_NORESERVE, read-write) by using a buffer of its own. So mmap as a whole is required, the
 * bits only the second mapping sets work stubbed and faked, and the bits of the first do not.
 * Built static, it makes no other mmap call, and the launcher makes none after installing the
 * filter: every verdict is the program's (when the launcher mapped a page after the filter, the
 * PROT_WRITE, MAP_PRIVATE and MAP_ANONYMOUS bits judged the launcher instead).
 * Bits are declared in hex (their labels are names when the values seen tell them): argument 2 (prot) 0x1 PROT_READ, 0x2 PROT_WRITE; argument 3 (flags)
 * 0x1 MAP_SHARED, 0x2 MAP_PRIVATE, 0x20 MAP_ANONYMOUS, 0x4000 MAP_NORESERVE.
 *
 * @kind sequential
 * @explore --partial-support
 * @expect mmap required
 * @expect-subfeature mmap 3 value MAP_PRIVATE|MAP_ANONYMOUS|MAP_NORESERVE works works
 * @expect-subfeature mmap 3 value MAP_SHARED broken broken
 * @expect-subfeature mmap 3 bit 0x2 works works
 * @expect-subfeature mmap 3 bit 0x20 works works
 * @expect-subfeature mmap 3 bit 0x4000 works works
 * @expect-subfeature mmap 3 bit 0x1 broken broken
 * @expect-subfeature mmap 2 value PROT_READ|PROT_WRITE works works
 * @expect-subfeature mmap 2 bit 0x2 works works
 * @expect-subfeature mmap 2 bit 0x1 broken broken
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static char fallback[4096];

int main(int argc, char **argv) {
	(void)argc;
	int fd = open(argv[0], O_RDONLY);
	if (fd < 0) return 1;
	const char *self = mmap(NULL, 4, PROT_READ, MAP_SHARED, fd, 0);
	if (self == MAP_FAILED || self == NULL || memcmp(self, "\177ELF", 4) != 0) return 2;
	char *page = mmap(NULL, sizeof fallback, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (page == MAP_FAILED || page == NULL) page = fallback;
	strcpy(page, "ok");
	puts(page);
	return 0;
}
