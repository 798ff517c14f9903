import COpenSSL
import GatehouseCertificates
package import NIOCore

/// One TLS session (`SSL*`) over a ``ByteBufferBIO``: ciphertext is fed in and drained out by the owner.
///
/// Not thread-safe: used from one event loop. No I/O happens here.
package final class TLSConnection {
    /// The outcome of a handshake step, read or write, mapped once from `SSL_get_error`.
    package enum Status: Equatable {
        /// The operation completed.
        case done
        /// More ciphertext from the peer is needed (drain pending output first).
        case wantIO
        /// The peer sent close_notify.
        case closed
        /// A fatal error, with OpenSSL's error queue.
        case failed(TLSFailure)
    }

    private let ssl: OpaquePointer  // SSL*, owned; owns the BIO
    private let transport: ByteBufferBIO  // ciphertext both ways; outlives the SSL* (freed in deinit)
    /// Kept alive because the ALPN callback borrows it through the SSL_CTX.
    package let context: TLSContext
    /// The client's chain as presented in this handshake (a server's full handshake), set by the verify callback,
    /// which then leaves only the leaf in the session: the chain lives as long as the connection, not as long as
    /// its session in the cache. `nil` when no chain was verified in this handshake (none sent, or resumed).
    /// `nil` too when the chain's ``verifiedChain`` entry holds it.
    var presentedChain: [Certificate]?
    /// The client's verified chain: the entry the verify callback verified it into (a server's full handshake that
    /// verified), or the one a resumed session's ticket named (`TLSContext+Tickets`).
    var verifiedChain: VerifiedChainCache.Entry?

    /// Creates a session for `context`'s role.
    /// - Throws: ``TLSError/Code/handshakeFailed`` when OpenSSL cannot allocate it.
    package init(context: TLSContext) throws {
        OpenSSLErrorQueue.clear()
        guard let ssl = context.withUnsafeContext({ SSL_new($0) }) else {
            throw TLSError(.handshakeFailed, "SSL_new: \(OpenSSLErrorQueue.drain())")
        }
        let transport: ByteBufferBIO
        do {
            transport = try ByteBufferBIO()
        } catch {
            SSL_free(ssl)
            throw error
        }
        SSL_set_bio(ssl, transport.bio, transport.bio)  // one BIO both ways: the SSL takes its one reference
        self.ssl = ssl
        self.transport = transport
        self.context = context
        switch context.role {
        case .server:
            SSL_set_accept_state(ssl)
            // The verify and ticket callbacks find this connection through the SSL*'s BIO (`serverConnection(of:)`).
            transport.connection = self
        case .client:
            SSL_set_connect_state(ssl)
            try self.configureClient()
        }
    }

    deinit { SSL_free(self.ssl) }

    /// Ciphertext received and not yet read by OpenSSL.
    var pendingInputBytes: Int { self.transport.pendingInput }

    /// ALPN, SNI and the host the server's certificate must name. A host that looks like an address but that
    /// OpenSSL cannot take as one is an error, never a connection without a host check.
    private func configureClient() throws {
        if !self.context.alpnWire.isEmpty {
            _ = SSL_set_alpn_protos(self.ssl, self.context.alpnWire, UInt32(self.context.alpnWire.count))
        }
        guard let name = self.context.serverName else { return }
        let isIPAddress = name.contains(":") || name.allSatisfy { $0.isNumber || $0 == "." }
        let checked: Bool
        if isIPAddress {
            checked = !self.context.verifiesPeer || X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(self.ssl), name) == 1
        } else {
            _ = gatehouse_SSL_set_tlsext_host_name(self.ssl, name)
            checked = !self.context.verifiesPeer || SSL_set1_host(self.ssl, name) == 1
        }
        guard checked else {
            throw TLSError(.invalidConfiguration, "cannot check the server's certificate for host '\(name)'")
        }
    }

    /// Lends the `SSL*` to `body` (tests use it to provoke protocol edge cases).
    package func withUnsafeSSL<Result>(_ body: (OpaquePointer) throws -> Result) rethrows -> Result {
        try body(self.ssl)
    }

    // MARK: Ciphertext

    /// Appends ciphertext received from the peer (kept, not copied, until OpenSSL reads it).
    package func feed(_ ciphertext: ByteBuffer) {
        self.transport.feed(ciphertext)
    }

    /// Takes every byte of ciphertext waiting to be sent, or `nil` when there is none.
    package func drainOutput() -> ByteBuffer? {
        self.transport.takeOutput()
    }

    /// Whether ciphertext waits to be taken by ``drainOutput()``.
    package var hasPendingOutput: Bool {
        self.transport.pendingOutput > 0
    }

    // MARK: TLS operations

    /// Advances the handshake as far as the fed ciphertext allows.
    package func handshake() -> Status {
        OpenSSLErrorQueue.clear()
        return self.status(SSL_do_handshake(self.ssl))
    }

    /// Decrypts as much plaintext as is available into `buffer`.
    ///
    /// The buffer grows only by what the fed ciphertext can hold (plaintext is never longer than its records), so
    /// a small request does not take a 16 KiB buffer that the layers above may keep while the connection idles.
    /// - Returns: `.wantIO` once everything fed has been consumed, `.closed` on close_notify.
    package func readPlaintext(into buffer: inout ByteBuffer) -> Status {
        while true {
            OpenSSLErrorQueue.clear()
            let buffered = Int(SSL_pending(self.ssl)) + self.transport.pendingInput
            let chunk = min(16_384, max(buffered, 64))
            var result: Int32 = 0
            buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: chunk) { raw in
                result = SSL_read(self.ssl, raw.baseAddress, Int32(min(raw.count, Int(Int32.max))))
                return Int(max(0, result))
            }
            if result <= 0 { return self.status(result) }
            // Without read-ahead OpenSSL reads one record per call: with nothing left in the BIO or in OpenSSL, the
            // next call could only say "want read", so skip it (one `SSL_read` and one error-queue clear less per
            // request).
            if self.transport.pendingInput == 0, SSL_pending(self.ssl) == 0, SSL_has_pending(self.ssl) == 0 {
                return .wantIO
            }
        }
    }

    /// Encrypts all of `plaintext` into the output BIO.
    package func writePlaintext(_ plaintext: ByteBuffer) -> Status {
        var status = Status.done
        plaintext.withUnsafeReadableBytes { raw in
            var offset = 0
            while offset < raw.count {
                OpenSSLErrorQueue.clear()
                let written = SSL_write(self.ssl, raw.baseAddress! + offset, Int32(min(raw.count - offset, 1 << 30)))
                if written <= 0 {
                    status = self.status(written)
                    return
                }
                offset += Int(written)
            }
        }
        return status
    }

    /// Queues a close_notify alert (drain the output afterwards).
    package func shutdown() {
        OpenSSLErrorQueue.clear()
        _ = SSL_shutdown(self.ssl)
        OpenSSLErrorQueue.clear()
    }

    /// Maps a return code through `SSL_get_error`, once.
    private func status(_ returnCode: Int32) -> Status {
        if returnCode > 0 { return .done }
        switch SSL_get_error(self.ssl, returnCode) {
        case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE:
            return .wantIO
        case SSL_ERROR_ZERO_RETURN:
            return .closed
        case let code:
            let entries = OpenSSLErrorQueue.drainEntries()
            let verifyFailed = entries.contains { $0.isSSL(SSL_R_CERTIFICATE_VERIFY_FAILED) }
            let verifyResult =
                verifyFailed
                ? CertificateVerifyResult(code: Int32(truncatingIfNeeded: SSL_get_verify_result(self.ssl))) : nil
            return .failed(TLSFailure(entries: entries, verifyResult: verifyResult, sslError: code))
        }
    }
}
