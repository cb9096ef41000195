/* The smallest useful workload: a C program that writes one line and exits. Its analysis
 * measures the engine's fixed costs (start-up, discovery, baseline, one run per experiment). */
#include <stdio.h>

int main(void) {
  puts("hello from a tiny C program");
  return 0;
}
