/* A server judged while it runs: it listens on 127.0.0.1:7411 and then waits for signals in
 * pause(), as daemons do; the kernel completes connections in the backlog meanwhile.
 *
 * pause is the main loop's wait: stubbed or faked it returns at once and the loop calls it
 * again, so the server keeps listening (it only burns CPU). socket, bind and listen are needed
 * for anyone to connect.
 *
 * @kind server
 * @test exec 3<>/dev/tcp/127.0.0.1/7411 || exit 1
 * @test-interpreter /bin/bash
 * @expect pause both
 * @expect socket required
 * @expect bind required
 * @expect listen required
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

int main(void) {
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0) return 1;
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons(7411), .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	if (bind(fd, (struct sockaddr *)&addr, sizeof addr) != 0) return 2;
	if (listen(fd, 16) != 0) return 3;
	for (;;) pause();
}
