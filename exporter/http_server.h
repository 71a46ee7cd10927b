// The HTTP side: metrics on the telemetry path, a landing page on /, 404 elsewhere; with a web
// config (--web.config.file), TLS, basic auth on every path and extra response headers.
#pragma once

#include <prometheus/collectable.h>

#include <memory>
#include <string>

#include "web_config.h"

class CivetServer;

namespace sle {

// Civetweb's listening_ports syntax for a Prometheus-style address (":10142" -> "10142",
// "127.0.0.1:10142", "[::1]:10142"). Throws std::invalid_argument naming the address.
std::string civet_listening_port(const std::string& listen_address);

class HttpServer {
 public:
  // Starts serving at once; throws std::runtime_error when the address can't be bound or TLS
  // can't be set up (civetweb's own message included).
  HttpServer(const std::string& listen_address, const std::string& telemetry_path,
             std::shared_ptr<prometheus::Collectable> collector, const WebConfig& web_config);
  // web_config_file: "" = plain HTTP without auth; else load_web_config_file (ConfigError).
  HttpServer(const std::string& listen_address, const std::string& telemetry_path,
             std::shared_ptr<prometheus::Collectable> collector,
             const std::string& web_config_file = "");
  ~HttpServer();  // stops serving, waits for requests in flight
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

 private:
  struct Site;
  std::unique_ptr<Site> site_;
  std::unique_ptr<CivetServer> server_;
};

}  // namespace sle
