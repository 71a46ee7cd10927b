#include "http_server.h"

#include <CivetServer.h>
#include <prometheus/text_serializer.h>

#include <stdexcept>
#include <vector>

#include "logging.h"

namespace sle {
namespace {

void respond(mg_connection* conn, int status, const char* content_type, const std::string& body) {
  mg_printf(conn,
            "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
            "Connection: close\r\n\r\n",
            status, mg_get_response_code_text(conn, status), content_type, body.size());
  mg_write(conn, body.data(), body.size());
}

class MetricsHandler final : public CivetHandler {
 public:
  explicit MetricsHandler(std::shared_ptr<prometheus::Collectable> c) : collector_(std::move(c)) {}
  bool handleGet(CivetServer*, mg_connection* conn) override {
    try {
      const std::string body = prometheus::TextSerializer().Serialize(collector_->Collect());
      respond(conn, 200, "text/plain; version=0.0.4; charset=utf-8", body);
    } catch (const std::exception& e) {
      log::error("Collecting metrics failed", {{"err", e.what()}});
      respond(conn, 500, "text/plain; charset=utf-8", std::string("error: ") + e.what() + "\n");
    }
    return true;
  }

 private:
  std::shared_ptr<prometheus::Collectable> collector_;
};

class LandingHandler final : public CivetHandler {
 public:
  explicit LandingHandler(std::string telemetry_path) : path_(std::move(telemetry_path)) {}
  bool handleGet(CivetServer*, mg_connection* conn) override {
    const mg_request_info* info = mg_get_request_info(conn);
    if (std::string(info->local_uri ? info->local_uri : "") != "/") {
      respond(conn, 404, "text/plain; charset=utf-8", "404 page not found\n");
      return true;
    }
    respond(conn, 200, "text/html; charset=utf-8",
            "<!DOCTYPE html>\n<html><head><title>socket-lsm-exporter</title></head><body>\n"
            "<h1>socket-lsm-exporter</h1>\n"
            "<p>Counts the Linux kernel's socket security hooks (create, bind, connect, listen, "
            "accept, setsockopt) with eBPF.</p>\n"
            "<p><a href=\"" +
                path_ + "\">Metrics</a></p>\n<p>Version " SLE_VERSION " (" SLE_REVISION
                        ")</p>\n</body></html>\n");
    return true;
  }

 private:
  std::string path_;
};

}  // namespace

struct HttpServer::Handlers {
  MetricsHandler metrics;
  LandingHandler landing;
};

std::string civet_listening_port(const std::string& addr) {
  const auto colon = addr.rfind(':');
  if (colon == std::string::npos || colon + 1 == addr.size())
    throw std::invalid_argument("listen address \"" + addr + "\" has no port (e.g. :10142)");
  const std::string port = addr.substr(colon + 1);
  if (port.find_first_not_of("0123456789") != std::string::npos || port.size() > 5 ||
      std::stoul(port) > 65535)
    throw std::invalid_argument("listen address \"" + addr + "\" has an invalid port");
  const std::string host = addr.substr(0, colon);
  if (host.empty()) return port;
  return host + ":" + port;
}

HttpServer::HttpServer(const std::string& listen_address, const std::string& telemetry_path,
                       std::shared_ptr<prometheus::Collectable> collector)
    : handlers_(std::make_unique<Handlers>(Handlers{MetricsHandler(std::move(collector)),
                                                    LandingHandler(telemetry_path)})) {
  const std::vector<std::string> options = {
      "listening_ports", civet_listening_port(listen_address), "num_threads", "4",
      "request_timeout_ms", "10000"};
  try {
    server_ = std::make_unique<CivetServer>(options);
  } catch (const CivetException& e) {
    throw std::runtime_error("cannot listen on " + listen_address + ": " + e.what());
  }
  server_->addHandler(telemetry_path, handlers_->metrics);
  server_->addHandler("/", handlers_->landing);
}

HttpServer::~HttpServer() {
  if (server_) server_->close();
}

}  // namespace sle
