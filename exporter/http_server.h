// The HTTP side: metrics on the telemetry path, a landing page on /, 404 elsewhere.
#pragma once

#include <memory>
#include <string>

#include <prometheus/collectable.h>

class CivetServer;

namespace sle {

// Civetweb's listening_ports syntax for a Prometheus-style address (":10142" -> "10142",
// "127.0.0.1:10142", "[::1]:10142"). Throws std::invalid_argument naming the address.
std::string civet_listening_port(const std::string& listen_address);

class HttpServer {
 public:
  // Starts serving at once; throws std::runtime_error when the address can't be bound.
  HttpServer(const std::string& listen_address, const std::string& telemetry_path,
             std::shared_ptr<prometheus::Collectable> collector);
  ~HttpServer();  // stops serving, waits for requests in flight
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

 private:
  struct Handlers;
  std::unique_ptr<Handlers> handlers_;
  std::unique_ptr<CivetServer> server_;
};

}  // namespace sle
