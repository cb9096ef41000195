/* A program that needs 16 random bytes from getrandom, with no fallback: stubbed, the call
 * fails; faked, it returns 0 bytes.
 *
 * @kind sequential
 * @expect getrandom required
 */
#include <stdio.h>
#include <sys/random.h>

int main(void) {
	unsigned char key[16];
	if (getrandom(key, sizeof key, 0) != (ssize_t)sizeof key) return 1;
	puts("ok");
	return 0;
}
