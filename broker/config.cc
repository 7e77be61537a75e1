// Loading, defaults and error reporting for weft.config.v1.BrokerConfig. The validation rules
// live in config_validate.cc.
#include "broker/config.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "broker/config_internal.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"
#include "reactor/base/check.h"

namespace weft::broker {
namespace {

using config::v1::BrokerConfig;
using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::TextFormat;
using internal_config::ConfigProblem;
using internal_config::FormatProblem;
using internal_config::kMaxLoops;

constexpr off_t kMaxConfigFileBytes = 4 << 20;
constexpr absl::string_view kRedacted = "<redacted>";

// DESIGN.md "Default ports", by field name of weft.config.v1.Listeners.
struct DefaultPort {
  absl::string_view gateway;
  int port;
};
constexpr DefaultPort kDefaultPorts[] = {
    {"wire", 7700}, {"control", 7701}, {"http", 7780}, {"smtp", 7725},
    {"imap", 7743}, {"pop3", 7710},    {"ssh", 7722},  {"irc", 7767},
};

std::string DefaultNodeName() {
  char host[256] = {};
  if (gethostname(host, sizeof(host) - 1) == 0 && internal_config::IsValidNodeName(host)) {
    return host;
  }
  return "weft";
}

void ApplyListenerDefaults(config::v1::Listeners& listeners) {
  const Descriptor& type = *listeners.GetDescriptor();
  for (int i = 0; i < type.field_count(); ++i) {
    const FieldDescriptor* field = type.field(i);
    auto& listener = static_cast<config::v1::Listener&>(
        *listeners.GetReflection()->MutableMessage(&listeners, field));
    if (!listener.has_enabled()) listener.set_enabled(true);
    if (listener.has_endpoint()) continue;
    const auto* port =
        std::find_if(std::begin(kDefaultPorts), std::end(kDefaultPorts),
                     [&](const DefaultPort& p) { return p.gateway == field->name(); });
    WEFT_CHECK(port != std::end(kDefaultPorts));  // A gateway was added without a default port.
    listener.set_endpoint(absl::StrCat("tcp:", port->port, ":interface=127.0.0.1"));
  }
}

void ApplyWebhookDefaults(config::v1::Webhook& webhook) {
  if (!webhook.has_timeout_ms()) webhook.set_timeout_ms(10000);
  if (!webhook.has_max_attempts()) webhook.set_max_attempts(3);
  if (!webhook.has_initial_backoff_ms()) webhook.set_initial_backoff_ms(100);
  if (!webhook.has_max_backoff_ms()) {
    webhook.set_max_backoff_ms(std::max<int64_t>(5000, webhook.initial_backoff_ms()));
  }
}

void ApplyLimitDefaults(BrokerConfig& config) {
  config::v1::WireConfig& wire = *config.mutable_wire();
  if (!wire.has_max_frame_bytes()) wire.set_max_frame_bytes(4 << 20);
  if (!wire.has_max_in_flight()) wire.set_max_in_flight(1024);
  if (!wire.has_idle_timeout_ms()) wire.set_idle_timeout_ms(300000);
  config::v1::HttpConfig& http = *config.mutable_http();
  if (!http.has_max_body_bytes()) http.set_max_body_bytes(16 << 20);
  if (!http.has_request_timeout_ms()) http.set_request_timeout_ms(30000);
  if (!http.has_idle_timeout_ms()) http.set_idle_timeout_ms(60000);
  if (!http.has_max_pipelined()) http.set_max_pipelined(32);
  config::v1::RouterConfig& router = *config.mutable_router();
  if (!router.has_max_queue_depth()) router.set_max_queue_depth(4096);
  if (!router.has_default_call_timeout_ms()) router.set_default_call_timeout_ms(30000);
  for (config::v1::Route& route : *config.mutable_routes()) {
    if (route.has_webhook()) ApplyWebhookDefaults(*route.mutable_webhook());
    if (!route.has_durable()) continue;
    config::v1::DurableDelivery& durable = *route.mutable_durable();
    if (durable.queue().empty()) durable.set_queue(route.target());
    if (!durable.has_max_attempts()) durable.set_max_attempts(10);
    if (!durable.has_initial_backoff_ms()) durable.set_initial_backoff_ms(1000);
    if (!durable.has_max_backoff_ms()) {
      durable.set_max_backoff_ms(std::max<int64_t>(300000, durable.initial_backoff_ms()));
    }
    if (!durable.has_attempt_timeout_ms()) durable.set_attempt_timeout_ms(30000);
    if (!durable.has_max_in_flight()) durable.set_max_in_flight(64);
  }
}

void ApplyStoreAndLoggingDefaults(BrokerConfig& config) {
  config::v1::StoreConfig& store = *config.mutable_store();
  if (store.backend_case() == config::v1::StoreConfig::BACKEND_NOT_SET) store.mutable_sqlite();
  if (store.has_sqlite() && !store.sqlite().has_path()) {
    absl::string_view dir = config.data_dir();
    absl::ConsumeSuffix(&dir, "/");
    store.mutable_sqlite()->set_path(absl::StrCat(dir, "/weft.db"));
  }
  if (!store.has_idempotency_retention_ms()) store.set_idempotency_retention_ms(604800000);
  config::v1::LoggingConfig& logging = *config.mutable_logging();
  if (logging.format() == config::v1::LOG_FORMAT_UNSPECIFIED) {
    logging.set_format(config::v1::LOG_FORMAT_TEXT);
  }
  if (logging.level() == config::v1::LOG_LEVEL_UNSPECIFIED) {
    logging.set_level(config::v1::LOG_LEVEL_INFO);
  }
}

// --- Text-format errors -----------------------------------------------------------------------

class FirstErrorCollector final : public google::protobuf::io::ErrorCollector {
 public:
  // google::protobuf::io::ErrorCollector
  void AddError(int line, int column, const std::string& message) override {
    if (!message_.has_value()) {
      line_ = line;
      column_ = column;
      message_ = message;
    }
  }

  int line() const { return line_; }
  int column() const { return column_; }
  const std::optional<std::string>& message() const { return message_; }

 private:
  int line_ = -1;
  int column_ = -1;
  std::optional<std::string> message_;
};

// The double-quoted parts of a protobuf error message, in order.
std::vector<std::string> QuotedParts(absl::string_view message) {
  std::vector<std::string> parts;
  std::vector<absl::string_view> pieces = absl::StrSplit(message, '"');
  for (std::size_t i = 1; i < pieces.size(); i += 2) parts.emplace_back(pieces[i]);
  return parts;
}

int EditDistance(absl::string_view a, absl::string_view b) {
  std::vector<int> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = static_cast<int>(j);
  for (std::size_t i = 1; i <= a.size(); ++i) {
    int diagonal = row[0];
    row[0] = static_cast<int>(i);
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const int above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// `; did you mean "x"?` for the field of `type` closest to `name`, or "".
std::string Suggestion(const Descriptor* type, absl::string_view name) {
  if (type == nullptr) return "";
  const FieldDescriptor* best = nullptr;
  int best_distance = 0;
  for (int i = 0; i < type->field_count(); ++i) {
    const int distance = EditDistance(name, type->field(i)->name());
    if (best == nullptr || distance < best_distance) {
      best = type->field(i);
      best_distance = distance;
    }
  }
  const int limit = name.size() >= 8 ? 3 : 2;
  if (best == nullptr || best_distance > limit) return "";
  return absl::StrCat("; did you mean \"", best->name(), "\"?");
}

// Messages whose field names could be a mistyped secret: an unknown "field" in them is not
// echoed.
bool HoldsSecrets(const Descriptor* type) {
  return type == config::v1::AuthConfig::descriptor() ||
         type == config::v1::PostgresStore::descriptor() ||
         type == config::v1::WebhookHeader::descriptor();
}

// The names of the enum values an enum field called `field_name` accepts.
std::string EnumChoices(absl::string_view field_name) {
  const google::protobuf::FileDescriptor& file = *BrokerConfig::descriptor()->file();
  for (int m = 0; m < file.message_type_count(); ++m) {
    const FieldDescriptor* field = file.message_type(m)->FindFieldByName(std::string(field_name));
    if (field == nullptr || field->enum_type() == nullptr) continue;
    std::string choices;
    for (int v = 1; v < field->enum_type()->value_count(); ++v) {
      absl::StrAppend(&choices, v == 1 ? "" : ", ", field->enum_type()->value(v)->name());
    }
    return absl::StrCat("; expected one of ", choices);
  }
  return "";
}

// Drops input echoed after "got: " or "found " (it may be a secret) unless it is one punctuation
// character or nothing, which is what a syntax error usually points at.
std::string RedactEchoedInput(std::string message) {
  for (const std::string marker : {", got: ", ", found "}) {
    const std::size_t at = message.find(marker);
    if (at == std::string::npos) continue;
    std::string echoed = message.substr(at + marker.size());
    if (absl::EndsWith(echoed, ".")) echoed.pop_back();
    if (echoed.size() >= 2 && echoed.front() == '"' && echoed.back() == '"') {
      echoed = echoed.substr(1, echoed.size() - 2);
    }
    message.resize(at);
    if (echoed.empty()) {
      absl::StrAppend(&message, ", found end of input");
    } else if (echoed.size() == 1 && absl::ascii_ispunct(echoed[0])) {
      absl::StrAppend(&message, ", found \"", echoed, "\"");
    }
    break;
  }
  return message;
}

// Rewrites one of protobuf's text-format errors in Weft's style (lowercase, no trailing period)
// without any value that could be a secret. Sets `subject` to the input token the error is about
// (a field name or a value), when there is one.
std::string RewriteParseError(const std::string& message, std::string& subject) {
  const std::vector<std::string> quoted = QuotedParts(message);
  if (absl::StartsWith(message, "Message type \"") && quoted.size() == 2) {
    const Descriptor* type =
        google::protobuf::DescriptorPool::generated_pool()->FindMessageTypeByName(quoted[0]);
    subject = quoted[1];
    if (HoldsSecrets(type)) {
      return absl::StrCat("unknown field in ", type->name(), " (not shown, since ", type->name(),
                          " holds secrets)", Suggestion(type, quoted[1]));
    }
    return absl::StrCat("unknown field \"", quoted[1], "\"", Suggestion(type, quoted[1]));
  }
  if (absl::StartsWith(message, "Unknown enumeration value of") && quoted.size() == 2) {
    subject = quoted[0];
    return absl::StrCat("unknown value \"", quoted[0], "\" for field \"", quoted[1], "\"",
                        EnumChoices(quoted[1]));
  }
  if (absl::StartsWith(message, "Invalid value for boolean field") && quoted.size() == 2) {
    subject = quoted[1];
    return absl::StrCat("invalid value \"", quoted[1], "\" for boolean field \"", quoted[0],
                        "\"; expected true or false");
  }
  if (absl::StartsWith(message, "Non-repeated field") && quoted.size() == 1) {
    subject = quoted[0];
    return absl::StrCat("field \"", quoted[0], "\" is set more than once");
  }
  if (absl::StrContains(message, "another member of oneof") && quoted.size() == 3) {
    subject = quoted[0];
    return absl::StrCat("fields \"", quoted[1], "\" and \"", quoted[0],
                        "\" are both set; set only one of them (oneof \"", quoted[2], "\")");
  }
  std::string rewritten = RedactEchoedInput(message);
  if (absl::EndsWith(rewritten, ".")) rewritten.pop_back();
  absl::StripTrailingAsciiWhitespace(&rewritten);
  if (rewritten.size() >= 2 && absl::ascii_isupper(rewritten[0]) &&
      absl::ascii_islower(rewritten[1])) {
    rewritten[0] = absl::ascii_tolower(rewritten[0]);
  }
  return rewritten;
}

// A 0-based line and column in `text`. Columns count a tab as advancing to the next multiple of
// 8, as protobuf's do.
struct Position {
  int line = -1;
  int column = -1;
};

std::size_t OffsetOf(absl::string_view text, Position position) {
  std::size_t offset = 0;
  for (int line = 0; line < position.line && offset < text.size(); ++offset) {
    if (text[offset] == '\n') ++line;
  }
  for (int column = 0; offset < text.size() && text[offset] != '\n' && column < position.column;
       ++offset) {
    column = text[offset] == '\t' ? column + 8 - column % 8 : column + 1;
  }
  return offset;
}

Position PositionOf(absl::string_view text, std::size_t offset) {
  Position position{0, 0};
  for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++position.line;
      position.column = 0;
    } else {
      position.column =
          text[i] == '\t' ? position.column + 8 - position.column % 8 : position.column + 1;
    }
  }
  return position;
}

// protobuf reports some errors at the token after the one at fault; points at `subject`, the
// last occurrence of it before the reported position, instead.
Position PointAtSubject(absl::string_view text, Position reported, absl::string_view subject) {
  if (subject.empty() || reported.line < 0) return reported;
  const std::size_t at = text.substr(0, OffsetOf(text, reported)).rfind(subject);
  if (at == absl::string_view::npos) return reported;
  return PositionOf(text, at);
}

absl::Status ParseError(absl::string_view text, absl::string_view source,
                        const FirstErrorCollector& errors) {
  if (!errors.message().has_value()) {
    return absl::InvalidArgumentError(FormatProblem({"", "does not parse"}, source, -1, -1));
  }
  std::string subject;
  std::string message = RewriteParseError(*errors.message(), subject);
  const Position at = PointAtSubject(text, {errors.line(), errors.column()}, subject);
  return absl::InvalidArgumentError(
      FormatProblem({"", std::move(message)}, source, at.line, at.column));
}

// --- Positions of validation problems ---------------------------------------------------------

// Where the field at `path` ("listeners.wire.endpoint", "routes[1].target") was written, as a
// 0-based line and column; nullopt when it was not (a default).
std::optional<TextFormat::ParseLocation> Locate(const TextFormat::ParseInfoTree& root,
                                                absl::string_view path) {
  if (path.empty()) return std::nullopt;
  const TextFormat::ParseInfoTree* tree = &root;
  const Descriptor* type = BrokerConfig::descriptor();
  std::vector<absl::string_view> parts = absl::StrSplit(path, '.');
  for (std::size_t i = 0; i < parts.size(); ++i) {
    absl::string_view name = parts[i];
    int index = -1;
    if (const std::size_t bracket = name.find('['); bracket != absl::string_view::npos) {
      index = std::atoi(std::string(name.substr(bracket + 1)).c_str());
      name = name.substr(0, bracket);
    }
    const FieldDescriptor* field =
        type == nullptr ? nullptr : type->FindFieldByName(std::string(name));
    if (field == nullptr) return std::nullopt;
    if (i + 1 == parts.size()) {
      const TextFormat::ParseLocation location = tree->GetLocation(field, index);
      if (location.line < 0) return std::nullopt;
      return location;
    }
    tree = tree->GetTreeForNested(field, index);
    if (tree == nullptr) return std::nullopt;
    type = field->message_type();
  }
  return std::nullopt;
}

// True when a PostgreSQL connection string carries a password ("password=...", or a URI with
// "user:password@").
bool ConninfoHasPassword(absl::string_view conninfo) {
  if (absl::StrContains(absl::AsciiStrToLower(conninfo), "password")) return true;
  absl::string_view rest = conninfo;
  if (!absl::ConsumePrefix(&rest, "postgresql://") && !absl::ConsumePrefix(&rest, "postgres://")) {
    return false;
  }
  const absl::string_view authority = rest.substr(0, rest.find_first_of("/?"));
  const std::size_t at = authority.rfind('@');
  return at != absl::string_view::npos &&
         authority.substr(0, at).find(':') != absl::string_view::npos;
}

std::string LowerStrerror(int error) {
  std::string text = std::strerror(error);
  if (!text.empty()) text[0] = absl::ascii_tolower(text[0]);
  return text;
}

absl::StatusOr<std::string> ReadConfigFile(const std::string& path, struct stat& st) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    const int error = errno;
    const std::string prefix = absl::StrCat("config: ", path, ": ");
    if (error == ENOENT) return absl::NotFoundError(prefix + "no such file");
    if (error == EACCES) return absl::PermissionDeniedError(prefix + "permission denied");
    return absl::InvalidArgumentError(prefix + "cannot be opened: " + LowerStrerror(error));
  }
  absl::Cleanup close_fd = [fd] { close(fd); };
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    return absl::InvalidArgumentError(absl::StrCat("config: ", path, ": not a regular file"));
  }
  if (st.st_size > kMaxConfigFileBytes) {
    return absl::ResourceExhaustedError(absl::StrCat("config: ", path, ": larger than 4 MiB"));
  }
  std::string text;
  char buffer[64 * 1024];
  for (;;) {
    const ssize_t n = read(fd, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("config: ", path, ": cannot be read: ", LowerStrerror(errno)));
    }
    if (n == 0) break;
    text.append(buffer, static_cast<std::size_t>(n));
    if (text.size() > static_cast<std::size_t>(kMaxConfigFileBytes)) {
      return absl::ResourceExhaustedError(absl::StrCat("config: ", path, ": larger than 4 MiB"));
    }
  }
  return text;
}

}  // namespace

namespace internal_config {

std::string FormatProblem(const ConfigProblem& problem, absl::string_view source, int line,
                          int column) {
  std::string out = "config: ";
  if (!source.empty() || line >= 0) {
    absl::StrAppend(&out, source.empty() ? "<text>" : source);
    if (line >= 0) absl::StrAppend(&out, ":", line + 1, ":", column + 1);
    absl::StrAppend(&out, ": ");
  }
  if (!problem.path.empty()) absl::StrAppend(&out, problem.path, ": ");
  absl::StrAppend(&out, problem.message);
  return out;
}

}  // namespace internal_config

BrokerConfig DefaultConfig() { return ApplyDefaults(BrokerConfig()); }

BrokerConfig ApplyDefaults(BrokerConfig config) {
  if (!config.has_node()) config.set_node(DefaultNodeName());
  if (!config.has_data_dir()) config.set_data_dir("./weft-data");
  if (config.loops() == 0) {
    config.set_loops(
        std::clamp(static_cast<int>(std::thread::hardware_concurrency()), 1, kMaxLoops));
  }
  ApplyListenerDefaults(*config.mutable_listeners());
  ApplyLimitDefaults(config);
  ApplyStoreAndLoggingDefaults(config);
  for (config::v1::ServiceConfig& service : *config.mutable_services()) {
    if (!service.has_enabled()) service.set_enabled(true);
  }
  config::v1::AuthConfig& auth = *config.mutable_auth();
  if (!auth.has_require_auth()) auth.set_require_auth(internal_config::PublicBindNeedsAuth(config));
  return config;
}

absl::StatusOr<BrokerConfig> ParseConfigText(absl::string_view text,
                                             absl::string_view source_name) {
  BrokerConfig raw;
  FirstErrorCollector errors;
  TextFormat::ParseInfoTree locations;
  TextFormat::Parser parser;
  parser.RecordErrorsTo(&errors);
  parser.WriteLocationsTo(&locations);
  if (!parser.ParseFromString(std::string(text), &raw)) {
    return ParseError(text, source_name, errors);
  }
  BrokerConfig resolved = ApplyDefaults(raw);
  if (std::optional<ConfigProblem> problem = internal_config::FindProblem(raw, resolved)) {
    const std::optional<TextFormat::ParseLocation> at = Locate(locations, problem->path);
    return absl::InvalidArgumentError(
        FormatProblem(*problem, source_name, at ? at->line : -1, at ? at->column : -1));
  }
  return resolved;
}

absl::StatusOr<BrokerConfig> LoadConfigFile(absl::string_view path) {
  const std::string file(path);
  struct stat st;
  absl::StatusOr<std::string> text = ReadConfigFile(file, st);
  if (!text.ok()) return text.status();
  absl::StatusOr<BrokerConfig> config = ParseConfigText(*text, file);
  if (!config.ok() || (st.st_mode & S_IROTH) == 0) return config;
  std::string secret;
  if (config->auth().tokens_size() > 0) {
    secret = "auth.tokens";
  } else if (config->store().has_postgres() &&
             ConninfoHasPassword(config->store().postgres().conninfo())) {
    secret = "store.postgres.conninfo";
  }
  for (int i = 0; i < config->routes_size() && secret.empty(); ++i) {
    if (config->routes(i).webhook().headers_size() > 0) {
      secret = absl::StrCat("routes[", i, "].webhook.headers");
    }
  }
  if (secret.empty()) return config;
  return absl::InvalidArgumentError(FormatProblem(
      {secret, absl::StrFormat("holds a secret, but the file is readable by other users (mode "
                               "%04o); run chmod o-rwx on it, or move the secret to a file of "
                               "its own (auth.token_file, ~/.pgpass)",
                               st.st_mode & 07777)},
      file, -1, -1));
}

BrokerConfig RedactSecrets(BrokerConfig config) {
  for (std::string& token : *config.mutable_auth()->mutable_tokens())
    token = std::string(kRedacted);
  if (config.store().has_postgres() && !config.store().postgres().conninfo().empty()) {
    config.mutable_store()->mutable_postgres()->set_conninfo(std::string(kRedacted));
  }
  for (config::v1::Route& route : *config.mutable_routes()) {
    if (!route.has_webhook()) continue;
    for (config::v1::WebhookHeader& header : *route.mutable_webhook()->mutable_headers()) {
      header.set_value(std::string(kRedacted));
    }
  }
  return config;
}

}  // namespace weft::broker
