#include "clients/weftctl/table.h"

#include <algorithm>
#include <cstdint>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace weft::clients::weftctl {
namespace {

void AppendLine(const std::vector<std::string>& cells, const std::vector<std::size_t>& widths,
                std::string& out) {
  std::string line;
  for (std::size_t i = 0; i < widths.size(); ++i) {
    const std::string cell = i < cells.size() ? cells[i] : "";
    absl::StrAppend(&line, cell);
    if (i + 1 < widths.size()) line.append(widths[i] - cell.size() + 2, ' ');
  }
  line.erase(line.find_last_not_of(' ') + 1);
  absl::StrAppend(&out, line, "\n");
}

}  // namespace

std::string Table::Render() const {
  std::vector<std::size_t> widths(header_.size(), 0);
  for (std::size_t i = 0; i < header_.size(); ++i) widths[i] = header_[i].size();
  for (const std::vector<std::string>& row : rows_) {
    for (std::size_t i = 0; i < widths.size() && i < row.size(); ++i) {
      widths[i] = std::max(widths[i], row[i].size());
    }
  }
  std::string out;
  std::vector<std::string> header = header_;
  for (std::string& cell : header) absl::AsciiStrToUpper(&cell);
  AppendLine(header, widths, out);
  for (const std::vector<std::string>& row : rows_) AppendLine(row, widths, out);
  return out;
}

std::string FormatDuration(int64_t millis) {
  if (millis < 1000) return absl::StrCat(millis, "ms");
  int64_t seconds = millis / 1000;
  if (seconds < 60) return absl::StrCat(seconds, "s");
  if (seconds < 3600) return absl::StrCat(seconds / 60, "m ", seconds % 60, "s");
  if (seconds < 86400) return absl::StrCat(seconds / 3600, "h ", seconds % 3600 / 60, "m");
  return absl::StrCat(seconds / 86400, "d ", seconds % 86400 / 3600, "h");
}

}  // namespace weft::clients::weftctl
