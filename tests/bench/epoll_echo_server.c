// epoll_echo_server: the least a Linux echo server can do, the "physical limit" line of the
// benchmark table.
//
//   epoll_echo_server tcp:PORT[:interface=ADDR][:backlog=N]      (see server_endpoint.h)
//
// One level-triggered epoll; per readiness event exactly one recv() into a static buffer and one
// send() of what arrived. Only bytes the kernel refuses are kept (a heap copy per connection),
// and while they wait the connection stops reading and waits for EPOLLOUT instead: the minimum
// buffering that keeps the echo correct. Connection state is a 16-byte slot indexed by fd. The
// peer's EOF closes the connection. TCP_NODELAY is on, as Weft's listener sets it.
//
// Part of //tests/bench.
#define _GNU_SOURCE  // accept4()

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tests/bench/server_endpoint.h"

enum {
  kMaxEvents = 256,
  kMaxAcceptsPerEvent = 64,
  kReadBufferSize = 64 * 1024,
};

// Unsent echo bytes of one connection; empty (NULL) almost always.
typedef struct {
  char* pending;
  uint32_t length;
  uint32_t offset;
} Slot;

static char read_buffer[kReadBufferSize];
static Slot* slots;
static size_t slot_count;
static int epoll_fd;

static Slot* SlotFor(int fd) {
  if ((size_t)fd >= slot_count) {
    size_t count = slot_count == 0 ? 1024 : slot_count;
    while (count <= (size_t)fd) count *= 2;
    Slot* grown = realloc(slots, count * sizeof(Slot));
    if (grown == NULL) return NULL;
    memset(grown + slot_count, 0, (count - slot_count) * sizeof(Slot));
    slots = grown;
    slot_count = count;
  }
  return &slots[fd];
}

static void Watch(int fd, int op, uint32_t events) {
  struct epoll_event event;
  memset(&event, 0, sizeof(event));
  event.events = events;
  event.data.fd = fd;
  epoll_ctl(epoll_fd, op, fd, &event);
}

static void CloseConnection(int fd) {
  Slot* slot = &slots[fd];
  free(slot->pending);
  memset(slot, 0, sizeof(*slot));
  close(fd);  // Also removes it from the epoll set.
}

static void AcceptSome(int listen_fd) {
  for (int i = 0; i < kMaxAcceptsPerEvent; ++i) {
    const int fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;  // EAGAIN, or out of fds: level-triggered, so retried next wait.
    if (SlotFor(fd) == NULL) {
      close(fd);
      return;
    }
    const int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    Watch(fd, EPOLL_CTL_ADD, EPOLLIN);
  }
}

// Keeps `data` for EPOLLOUT and stops reading until it is gone.
static void KeepUnsent(int fd, const char* data, size_t length) {
  Slot* slot = &slots[fd];
  slot->pending = malloc(length);
  if (slot->pending == NULL) {
    CloseConnection(fd);
    return;
  }
  memcpy(slot->pending, data, length);
  slot->length = (uint32_t)length;
  slot->offset = 0;
  Watch(fd, EPOLL_CTL_MOD, EPOLLOUT);
}

static void OnWritable(int fd) {
  Slot* slot = &slots[fd];
  const ssize_t n =
      send(fd, slot->pending + slot->offset, slot->length - slot->offset, MSG_NOSIGNAL);
  if (n < 0) {
    if (errno != EAGAIN && errno != EINTR) CloseConnection(fd);
    return;
  }
  slot->offset += (uint32_t)n;
  if (slot->offset < slot->length) return;
  free(slot->pending);
  slot->pending = NULL;
  slot->length = slot->offset = 0;
  Watch(fd, EPOLL_CTL_MOD, EPOLLIN);
}

static void OnReadable(int fd) {
  const ssize_t n = recv(fd, read_buffer, sizeof(read_buffer), 0);
  if (n <= 0) {
    if (n == 0 || (errno != EAGAIN && errno != EINTR)) CloseConnection(fd);
    return;
  }
  ssize_t sent = send(fd, read_buffer, (size_t)n, MSG_NOSIGNAL);
  if (sent == n) return;
  if (sent < 0) {
    if (errno != EAGAIN && errno != EINTR) {
      CloseConnection(fd);
      return;
    }
    sent = 0;
  }
  KeepUnsent(fd, read_buffer + sent, (size_t)(n - sent));
}

static int Listen(const struct BenchEndpoint* endpoint) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  const int one = 1;
  if (fd < 0) return -1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (bind(fd, (const struct sockaddr*)&endpoint->address, sizeof(endpoint->address)) != 0 ||
      listen(fd, endpoint->backlog) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

int main(int argc, char** argv) {
  struct BenchEndpoint endpoint;
  if (argc != 2) {
    fprintf(stderr, "usage: epoll_echo_server tcp:PORT[:interface=ADDR][:backlog=N]\n");
    return 2;
  }
  if (ParseBenchEndpoint(argv[1], &endpoint) != 0) return 2;
  signal(SIGPIPE, SIG_IGN);
  const int listen_fd = Listen(&endpoint);
  epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  if (listen_fd < 0 || epoll_fd < 0) {
    perror("epoll_echo_server: listen");
    return 1;
  }
  Watch(listen_fd, EPOLL_CTL_ADD, EPOLLIN);
  struct sockaddr_in bound;
  socklen_t length = sizeof(bound);
  getsockname(listen_fd, (struct sockaddr*)&bound, &length);
  PrintListening(&bound);

  struct epoll_event events[kMaxEvents];
  for (;;) {
    const int n = epoll_wait(epoll_fd, events, kMaxEvents, -1);
    for (int i = 0; i < n; ++i) {
      const int fd = events[i].data.fd;
      if (fd == listen_fd) {
        AcceptSome(listen_fd);
      } else if (slots[fd].pending != NULL) {
        OnWritable(fd);
      } else {
        OnReadable(fd);
      }
    }
  }
}
