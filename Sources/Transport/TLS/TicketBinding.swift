import GatehouseCertificates

/// What Gatehouse adds to a session ticket (OpenSSL's ticket appdata), authenticated with the ticket.
///
/// A TLS 1.3 ticket carries no certificate of OpenSSL's own (``SessionEncoding/dropPeer(of:)``): the binding names
/// the verified leaf by its SHA-256, which a process that verified it finds in its verified-chain cache, and carries
/// the leaf's DER for a process that did not (another replica with the same ticket keys), which parses it only then.
struct TicketBinding: Equatable {
    /// The layout's version: a ticket of another layout is not resumed.
    static let version: UInt8 = 2
    /// The largest leaf a ticket carries: a larger one resumes only where its verified entry is cached. (OpenSSL
    /// refuses to seal a session whose encoding exceeds 65,280 bytes.)
    static let maxCarriedLeafBytes = 8192

    var mode: ClientCertificateMode
    /// The SHA-256 of the trust material the client's chain was verified under (``TrustGeneration``), empty when
    /// the context verifies none.
    var material: [UInt8]
    /// The SHA-256 of the client's leaf when its chain verified.
    var verifiedLeaf: SHA256Digest?
    /// The DER of that leaf, when the ticket carries it (empty otherwise).
    var leafDER: [UInt8]

    /// `version, mode, material length, material`, then `0`, or `1, the leaf digest, the leaf's length (two bytes,
    /// big-endian; 0 when not carried), the leaf's DER`.
    var encoded: [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(4 + self.material.count + (self.verifiedLeaf == nil ? 0 : 34 + self.leafDER.count))
        bytes += [Self.version, self.mode.code, UInt8(self.material.count)]
        bytes += self.material
        guard let leaf = self.verifiedLeaf else {
            bytes.append(0)
            return bytes
        }
        bytes.append(1)
        bytes += leaf.bytes
        let carried = self.leafDER.count <= Self.maxCarriedLeafBytes ? self.leafDER : []
        bytes += [UInt8(carried.count >> 8), UInt8(carried.count & 0xFF)]
        bytes += carried
        return bytes
    }

    /// A binding; `leafDER` is carried only when it is at most ``maxCarriedLeafBytes`` long.
    init(mode: ClientCertificateMode, material: [UInt8], verifiedLeaf: SHA256Digest?, leafDER: [UInt8] = []) {
        self.mode = mode
        self.material = material
        self.verifiedLeaf = verifiedLeaf
        self.leafDER = verifiedLeaf == nil || leafDER.count > Self.maxCarriedLeafBytes ? [] : leafDER
    }

    /// The binding in `bytes`, or `nil` when they are not one of this layout.
    init?(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count >= 4, bytes[0] == Self.version,
            let mode = ClientCertificateMode.allCases.first(where: { $0.code == bytes[1] })
        else { return nil }
        let materialEnd = 3 + Int(bytes[2])
        guard bytes.count > materialEnd else { return nil }
        self.mode = mode
        self.material = Array(bytes[3..<materialEnd])
        let rest = bytes.count - materialEnd - 1
        switch bytes[materialEnd] {
        case 0 where rest == 0:
            self.verifiedLeaf = nil
            self.leafDER = []
        case 1 where rest >= 34:
            let digestStart = materialEnd + 1
            let lengthStart = digestStart + 32
            let length = Int(bytes[lengthStart]) << 8 | Int(bytes[lengthStart + 1])
            guard rest == 34 + length, length <= Self.maxCarriedLeafBytes else { return nil }
            self.verifiedLeaf = SHA256Digest(bytes: Array(bytes[digestStart..<lengthStart]))
            self.leafDER = Array(bytes[(lengthStart + 2)...])
        default:
            return nil
        }
    }
}

extension ClientCertificateMode {
    /// The mode's byte in a ticket.
    fileprivate var code: UInt8 {
        switch self {
        case .none: 0
        case .request: 1
        case .require: 2
        }
    }
}
