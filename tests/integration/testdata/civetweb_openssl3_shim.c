/* Debian bookworm's civetweb 1.15 was built for the OpenSSL 1.1 API: it dlopens "libssl.so" and
 * looks SSL_get_peer_certificate up by name, but OpenSSL 3 only has that as a macro for
 * SSL_get1_peer_certificate, so civetweb calls a null pointer on every TLS connection and the
 * exporter refuses TLS configs (sle::tls_unavailable_reason). Built as a library with the soname
 * "libssl.so" that depends on libssl.so.3 and LD_PRELOADed, this is what civetweb's dlopen finds:
 * the lookup then succeeds, and the integration test can drive the exporter's TLS path for real.
 *   cc -shared -fPIC -Wl,-soname,libssl.so -o libssl.so civetweb_openssl3_shim.c -l:libssl.so.3
 */
struct ssl_st;
struct x509_st;

struct x509_st *SSL_get1_peer_certificate(const struct ssl_st *ssl);

/* Same reference counting: the 1.1 function also returned a reference the caller frees. */
struct x509_st *SSL_get_peer_certificate(const struct ssl_st *ssl) {
  return SSL_get1_peer_certificate(ssl);
}
