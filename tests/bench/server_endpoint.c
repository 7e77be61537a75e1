#include "tests/bench/server_endpoint.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int ParseNumber(const char* text, size_t length, long max, long* value) {
  char digits[16];
  if (length == 0 || length >= sizeof(digits)) return -1;
  memcpy(digits, text, length);
  digits[length] = '\0';
  char* end = NULL;
  *value = strtol(digits, &end, 10);
  return (*end != '\0' || *value < 0 || *value > max) ? -1 : 0;
}

// Applies one ":name=value" option of the endpoint string.
static int ApplyOption(const char* option, size_t length, struct BenchEndpoint* endpoint) {
  static const char kInterface[] = "interface=";
  static const char kBacklog[] = "backlog=";
  if (length > strlen(kInterface) && strncmp(option, kInterface, strlen(kInterface)) == 0) {
    char host[64];
    const size_t host_length = length - strlen(kInterface);
    if (host_length >= sizeof(host)) return -1;
    memcpy(host, option + strlen(kInterface), host_length);
    host[host_length] = '\0';
    return inet_pton(AF_INET, host, &endpoint->address.sin_addr) == 1 ? 0 : -1;
  }
  if (length > strlen(kBacklog) && strncmp(option, kBacklog, strlen(kBacklog)) == 0) {
    long backlog;
    if (ParseNumber(option + strlen(kBacklog), length - strlen(kBacklog), 1 << 20, &backlog) != 0) {
      return -1;
    }
    endpoint->backlog = (int)backlog;
    return 0;
  }
  return -1;
}

int ParseBenchEndpoint(const char* text, struct BenchEndpoint* endpoint) {
  memset(endpoint, 0, sizeof(*endpoint));
  endpoint->address.sin_family = AF_INET;
  endpoint->address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  endpoint->backlog = 1024;
  const char* rest = text;
  if (strncmp(rest, "tcp:", 4) == 0) rest += 4;
  const char* colon = strchr(rest, ':');
  const size_t port_length = colon != NULL ? (size_t)(colon - rest) : strlen(rest);
  long port;
  if (ParseNumber(rest, port_length, 65535, &port) != 0) goto bad;
  endpoint->address.sin_port = htons((unsigned short)port);
  while (colon != NULL) {
    const char* option = colon + 1;
    colon = strchr(option, ':');
    const size_t length = colon != NULL ? (size_t)(colon - option) : strlen(option);
    if (ApplyOption(option, length, endpoint) != 0) goto bad;
  }
  return 0;
bad:
  fprintf(stderr, "bad endpoint '%s': want tcp:PORT[:interface=IPV4][:backlog=N] or PORT\n", text);
  return -1;
}

void PrintListening(const struct sockaddr_in* bound) {
  char host[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &bound->sin_addr, host, sizeof(host));
  printf("listening on tcp:%d:interface=%s\n", ntohs(bound->sin_port), host);
  fflush(stdout);
}
