/* getrandom with a fallback to /dev/urandom when the kernel lacks it (ENOSYS), as portable
 * libraries do. Faked, getrandom returns 0 bytes, which the program takes for a failure.
 *
 * @kind sequential
 * @expect getrandom stubOnly
 * @fallback getrandom openat read
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/random.h>
#include <unistd.h>

int main(void) {
	unsigned char key[16];
	ssize_t got = getrandom(key, sizeof key, 0);
	if (got < 0 && errno == ENOSYS) {
		int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
		if (fd < 0) return 1;
		got = read(fd, key, sizeof key);
		close(fd);
	}
	if (got != (ssize_t)sizeof key) return 2;
	puts("ok");
	return 0;
}
