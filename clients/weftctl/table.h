// Table: the aligned text tables weftctl prints by default.
//
// Part of //clients/weftctl. Columns are as wide as their widest cell and separated by two
// spaces; the header is upper case; trailing spaces are trimmed.
#ifndef WEFT_CLIENTS_WEFTCTL_TABLE_H_
#define WEFT_CLIENTS_WEFTCTL_TABLE_H_

#include <string>
#include <vector>

namespace weft::clients::weftctl {

class Table {
 public:
  explicit Table(std::vector<std::string> header) : header_(std::move(header)) {}

  // A row with as many cells as the header (missing cells print empty, extra ones are dropped).
  void AddRow(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  bool empty() const { return rows_.empty(); }
  // The header line and one line per row, each ending in '\n'.
  std::string Render() const;

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
};

// "3h 2m", "1m 5s", "12s", "250ms".
std::string FormatDuration(int64_t millis);

}  // namespace weft::clients::weftctl

#endif  // WEFT_CLIENTS_WEFTCTL_TABLE_H_
