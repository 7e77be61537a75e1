// uv_echo_server: libuv's classic echo server, the baseline Weft's reactor must beat.
//
//   uv_echo_server tcp:PORT[:interface=ADDR][:backlog=N]      (see server_endpoint.h)
//
// The fastest idiomatic libuv echo, as in libuv's own benchmarks: one static read buffer for the
// loop (alloc_cb never allocates), uv_try_write() first, and only when the kernel refuses part
// of the data a uv_write() of a heap copy. TCP_NODELAY is on, as Weft's listener sets it, and
// reading pauses while more than 64 KiB of echo is queued (resuming at 16 KiB), Weft's default
// watermarks. The peer's EOF closes the connection.
//
// Part of //tests/bench.
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "tests/bench/server_endpoint.h"

enum {
  kReadBufferSize = 64 * 1024,
  kHighWatermark = 64 * 1024,
  kLowWatermark = 16 * 1024,
};

typedef struct {
  uv_tcp_t tcp;  // First, so a uv_handle_t* to it is a Connection*.
  int paused;
} Connection;

typedef struct {
  uv_write_t req;
  uv_buf_t buf;  // Points at the bytes that follow this struct.
} WriteRequest;

static char read_buffer[kReadBufferSize];

static void OnClosed(uv_handle_t* handle) { free(handle); }

static void CloseConnection(uv_stream_t* stream) {
  if (!uv_is_closing((uv_handle_t*)stream)) uv_close((uv_handle_t*)stream, OnClosed);
}

static void OnAlloc(uv_handle_t* handle, size_t suggested_size, uv_buf_t* buf) {
  (void)handle;
  (void)suggested_size;
  *buf = uv_buf_init(read_buffer, sizeof(read_buffer));
}

static void OnRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);

static void OnWritten(uv_write_t* req, int status) {
  uv_stream_t* stream = req->handle;
  free(req);
  if (status < 0) {
    CloseConnection(stream);  // Also reached with UV_ECANCELED after a close: harmless.
    return;
  }
  Connection* connection = (Connection*)stream;
  if (connection->paused && stream->write_queue_size <= kLowWatermark &&
      !uv_is_closing((uv_handle_t*)stream)) {
    connection->paused = 0;
    uv_read_start(stream, OnAlloc, OnRead);
  }
}

static void OnRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
  if (nread < 0) {  // UV_EOF or an error.
    CloseConnection(stream);
    return;
  }
  if (nread == 0) return;  // EAGAIN.
  uv_buf_t data = uv_buf_init(buf->base, (unsigned int)nread);
  int sent = uv_try_write(stream, &data, 1);
  if (sent == nread) return;
  if (sent < 0) {
    if (sent != UV_EAGAIN) {
      CloseConnection(stream);
      return;
    }
    sent = 0;
  }
  const size_t rest = (size_t)nread - (size_t)sent;
  WriteRequest* write = malloc(sizeof(WriteRequest) + rest);
  if (write == NULL) {
    CloseConnection(stream);
    return;
  }
  memcpy(write + 1, buf->base + sent, rest);
  write->buf = uv_buf_init((char*)(write + 1), (unsigned int)rest);
  if (uv_write(&write->req, stream, &write->buf, 1, OnWritten) != 0) {
    free(write);
    CloseConnection(stream);
    return;
  }
  if (stream->write_queue_size > kHighWatermark) {
    ((Connection*)stream)->paused = 1;
    uv_read_stop(stream);
  }
}

static void OnConnection(uv_stream_t* server, int status) {
  if (status != 0) return;
  Connection* connection = calloc(1, sizeof(Connection));
  if (connection == NULL) return;
  uv_tcp_init(server->loop, &connection->tcp);
  if (uv_accept(server, (uv_stream_t*)&connection->tcp) != 0) {
    uv_close((uv_handle_t*)&connection->tcp, OnClosed);
    return;
  }
  uv_tcp_nodelay(&connection->tcp, 1);
  uv_read_start((uv_stream_t*)&connection->tcp, OnAlloc, OnRead);
}

int main(int argc, char** argv) {
  struct BenchEndpoint endpoint;
  if (argc != 2) {
    fprintf(stderr, "usage: uv_echo_server tcp:PORT[:interface=ADDR][:backlog=N]\n");
    return 2;
  }
  if (ParseBenchEndpoint(argv[1], &endpoint) != 0) return 2;
  signal(SIGPIPE, SIG_IGN);
  uv_loop_t* loop = uv_default_loop();
  uv_tcp_t server;
  uv_tcp_init(loop, &server);
  int error = uv_tcp_bind(&server, (const struct sockaddr*)&endpoint.address, 0);
  if (error == 0) error = uv_listen((uv_stream_t*)&server, endpoint.backlog, OnConnection);
  if (error != 0) {
    fprintf(stderr, "uv_echo_server: listen: %s\n", uv_strerror(error));
    return 1;
  }
  struct sockaddr_in bound;
  int length = sizeof(bound);
  uv_tcp_getsockname(&server, (struct sockaddr*)&bound, &length);
  PrintListening(&bound);
  return uv_run(loop, UV_RUN_DEFAULT);
}
