#ifndef GATEHOUSE_COPENSSL_SHIM_H
#define GATEHOUSE_COPENSSL_SHIM_H

#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <openssl/x509_vfy.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/rand.h>
#include <openssl/ec.h>
#include <openssl/rsa.h>
#include <openssl/ocsp.h>
#include <openssl/core_names.h>

// Macros and variadic functions Swift cannot import, wrapped as `gatehouse_` + the C name (STYLE.md §2).

static inline long gatehouse_SSL_CTX_set_min_proto_version(SSL_CTX *ctx, int version) {
    return SSL_CTX_set_min_proto_version(ctx, version);
}

static inline long gatehouse_SSL_CTX_set_max_proto_version(SSL_CTX *ctx, int version) {
    return SSL_CTX_set_max_proto_version(ctx, version);
}

static inline long gatehouse_SSL_set_min_proto_version(SSL *ssl, int version) {
    return SSL_set_min_proto_version(ssl, version);
}

static inline long gatehouse_SSL_set_max_proto_version(SSL *ssl, int version) {
    return SSL_set_max_proto_version(ssl, version);
}

static inline long gatehouse_SSL_CTX_set_mode(SSL_CTX *ctx, long mode) {
    return SSL_CTX_set_mode(ctx, mode);
}

static inline long gatehouse_SSL_CTX_set1_groups_list(SSL_CTX *ctx, const char *list) {
    return SSL_CTX_set1_groups_list(ctx, list);
}

static inline long gatehouse_SSL_CTX_set_session_cache_mode(SSL_CTX *ctx, long mode) {
    return SSL_CTX_set_session_cache_mode(ctx, mode);
}

static inline long gatehouse_SSL_CTX_add_extra_chain_cert(SSL_CTX *ctx, X509 *cert) {
    return SSL_CTX_add_extra_chain_cert(ctx, cert);
}

static inline long gatehouse_SSL_set_tlsext_host_name(SSL *ssl, const char *name) {
    return SSL_set_tlsext_host_name(ssl, name);
}

static inline long gatehouse_BIO_get_mem_data(BIO *bio, char **data) {
    return BIO_get_mem_data(bio, data);
}

static inline long gatehouse_BIO_set_mem_eof_return(BIO *bio, int value) {
    return BIO_set_mem_eof_return(bio, value);
}

static inline EVP_PKEY *gatehouse_EVP_PKEY_Q_keygen_ec(const char *curve) {
    return EVP_PKEY_Q_keygen(NULL, NULL, "EC", curve);
}

static inline EVP_PKEY *gatehouse_EVP_PKEY_Q_keygen_rsa(size_t bits) {
    return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", bits);
}

static inline int gatehouse_sk_X509_num(const STACK_OF(X509) *stack) {
    return sk_X509_num(stack);
}

static inline X509 *gatehouse_sk_X509_value(const STACK_OF(X509) *stack, int index) {
    return sk_X509_value(stack, index);
}

static inline STACK_OF(X509) *gatehouse_sk_X509_new_null(void) {
    return sk_X509_new_null();
}

static inline int gatehouse_sk_X509_push(STACK_OF(X509) *stack, X509 *cert) {
    return sk_X509_push(stack, cert);
}

/// Replaces the certificate at `index` and returns the one it held (whose reference the caller now owns).
/// (`sk_X509_set` itself returns the new element.)
static inline X509 *gatehouse_sk_X509_replace(STACK_OF(X509) *stack, int index, X509 *cert) {
    X509 *old = sk_X509_value(stack, index);
    return sk_X509_set(stack, index, cert) == NULL ? NULL : old;
}

/// Frees the stack and drops one reference of every certificate in it.
static inline void gatehouse_sk_X509_pop_free(STACK_OF(X509) *stack) {
    sk_X509_pop_free(stack, X509_free);
}

/// Frees the stack only; the certificates are borrowed.
static inline void gatehouse_sk_X509_free(STACK_OF(X509) *stack) {
    sk_X509_free(stack);
}

static inline int gatehouse_sk_X509_NAME_push(STACK_OF(X509_NAME) *stack, X509_NAME *name) {
    return sk_X509_NAME_push(stack, name);
}

static inline STACK_OF(X509_NAME) *gatehouse_sk_X509_NAME_new_null(void) {
    return sk_X509_NAME_new_null();
}

static inline int gatehouse_sk_GENERAL_NAME_num(const GENERAL_NAMES *names) {
    return sk_GENERAL_NAME_num(names);
}

static inline GENERAL_NAME *gatehouse_sk_GENERAL_NAME_value(const GENERAL_NAMES *names, int index) {
    return sk_GENERAL_NAME_value(names, index);
}

static inline void gatehouse_GENERAL_NAMES_free(GENERAL_NAMES *names) {
    GENERAL_NAMES_free(names);
}

/// RFC 4514 printing flags for X509_NAME_print_ex, with UTF-8 kept as it is.
static inline unsigned long gatehouse_XN_FLAG_RFC2253_UTF8(void) {
    return XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB;
}

// Added for Certificates (minting, PKCS#12, trust store) and Transport/TLS.

static inline int gatehouse_sk_ASN1_OBJECT_num(const STACK_OF(ASN1_OBJECT) *stack) {
    return sk_ASN1_OBJECT_num(stack);
}

static inline ASN1_OBJECT *gatehouse_sk_ASN1_OBJECT_value(const STACK_OF(ASN1_OBJECT) *stack, int index) {
    return sk_ASN1_OBJECT_value(stack, index);
}

static inline void gatehouse_EXTENDED_KEY_USAGE_free(EXTENDED_KEY_USAGE *usages) {
    EXTENDED_KEY_USAGE_free(usages);
}

static inline int gatehouse_sk_X509_NAME_num(const STACK_OF(X509_NAME) *stack) {
    return sk_X509_NAME_num(stack);
}

/// Frees the stack and every name in it.
static inline void gatehouse_sk_X509_NAME_pop_free(STACK_OF(X509_NAME) *stack) {
    sk_X509_NAME_pop_free(stack, X509_NAME_free);
}

static inline int gatehouse_MBSTRING_UTF8(void) {
    return MBSTRING_UTF8;
}

static inline long gatehouse_SSL_CTX_set1_verify_cert_store(SSL_CTX *ctx, X509_STORE *store) {
    return SSL_CTX_set1_verify_cert_store(ctx, store);
}

static inline uint64_t gatehouse_SSL_OP_NO_RENEGOTIATION(void) { return SSL_OP_NO_RENEGOTIATION; }
static inline uint64_t gatehouse_SSL_OP_NO_COMPRESSION(void) { return SSL_OP_NO_COMPRESSION; }
static inline uint64_t gatehouse_SSL_OP_CIPHER_SERVER_PREFERENCE(void) { return SSL_OP_CIPHER_SERVER_PREFERENCE; }
static inline uint64_t gatehouse_SSL_OP_NO_TICKET(void) { return SSL_OP_NO_TICKET; }

static inline long gatehouse_SSL_CTX_sess_set_cache_size(SSL_CTX *ctx, long size) {
    return SSL_CTX_sess_set_cache_size(ctx, size);
}

// Added for bounded TLS state (Transport/TLS).

static inline long gatehouse_SSL_CTX_set_max_cert_list(SSL_CTX *ctx, long bytes) {
    return SSL_CTX_set_max_cert_list(ctx, bytes);
}

/// Drops the certificates from `count` on (one reference each), keeping the first `count`.
static inline void gatehouse_sk_X509_truncate(STACK_OF(X509) *stack, int count) {
    while (sk_X509_num(stack) > count) {
        X509_free(sk_X509_pop(stack));
    }
}

// Added for certificate tooling (CRLs: `gatehouse certs revoke`).

static inline int gatehouse_sk_X509_REVOKED_num(const STACK_OF(X509_REVOKED) *stack) {
    return sk_X509_REVOKED_num(stack);
}

static inline X509_REVOKED *gatehouse_sk_X509_REVOKED_value(const STACK_OF(X509_REVOKED) *stack, int index) {
    return sk_X509_REVOKED_value(stack, index);
}

// Added for OCSP (Certificates/OCSP): the leaf's AIA OCSP URLs.

static inline int gatehouse_sk_OPENSSL_STRING_num(const STACK_OF(OPENSSL_STRING) *stack) {
    return sk_OPENSSL_STRING_num(stack);
}

static inline const char *gatehouse_sk_OPENSSL_STRING_value(const STACK_OF(OPENSSL_STRING) *stack, int index) {
    return sk_OPENSSL_STRING_value(stack, index);
}

// Keys a session ticket's HMAC-SHA256 (the ticket key callback's MAC context), as OpenSSL's own tickets are.
static inline int gatehouse_ticket_hmac_init(EVP_MAC_CTX *ctx, const unsigned char *key, size_t length) {
    OSSL_PARAM params[2];
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0);
    params[1] = OSSL_PARAM_construct_end();
    return EVP_MAC_init(ctx, key, length, params);
}

#endif
