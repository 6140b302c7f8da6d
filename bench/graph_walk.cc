// The baseline of bench/graph.sh: a raw Graph page walk with libcurl, the least work that
// reads the same pages. One handle (keep-alive, as telsync has), each page fetched into
// memory, the next link found with a plain search and followed as given; no JSON parsing,
// no users made.
//   graph_walk URL TOKEN   -> prints "<pages> pages, <bytes> bytes"
#include <curl/curl.h>

#include <cstdio>
#include <string>

namespace {

size_t Append(char* data, size_t size, size_t count, void* out) {
  static_cast<std::string*>(out)->append(data, size * count);
  return size * count;
}

// The value of "@odata.nextLink" with JSON's escaped slashes undone; "" when absent.
std::string NextLink(const std::string& page) {
  static const std::string kKey = "\"@odata.nextLink\":\"";
  const size_t at = page.find(kKey);
  if (at == std::string::npos) return "";
  std::string link;
  for (size_t i = at + kKey.size(); i < page.size() && page[i] != '"'; ++i) {
    if (page[i] == '\\' && i + 1 < page.size()) ++i;
    link.push_back(page[i]);
  }
  return link;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: graph_walk URL TOKEN\n");
    return 2;
  }
  curl_global_init(CURL_GLOBAL_DEFAULT);
  CURL* curl = curl_easy_init();
  const std::string auth = std::string("Authorization: Bearer ") + argv[2];
  curl_slist* headers = curl_slist_append(nullptr, auth.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, Append);
  curl_easy_setopt(curl, CURLOPT_FAILONERROR, 1L);
  std::string url = argv[1];
  std::string page;
  size_t pages = 0;
  size_t bytes = 0;
  while (!url.empty()) {
    page.clear();
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &page);
    if (const CURLcode rc = curl_easy_perform(curl); rc != CURLE_OK) {
      std::fprintf(stderr, "graph_walk: %s\n", curl_easy_strerror(rc));
      return 1;
    }
    ++pages;
    bytes += page.size();
    url = NextLink(page);
  }
  std::printf("%zu pages, %zu bytes\n", pages, bytes);
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  curl_global_cleanup();
  return 0;
}
