import GatehouseCertificates

/// The configured `certificates` ("uploaded certificates") as hash sets for the chosen comparison.
struct AllowList: Sendable {
    let match: AllowListMatch
    private let certificates: Set<[UInt8]>
    private let subjects: Set<DistinguishedName>
    private let keys: Set<[UInt8]>
    /// How many certificates were listed (0: a configured but empty list admits nobody).
    let count: Int
    /// The listed certificates, as loaded (for reports of their expiry).
    let listed: [Certificate]

    init(_ listed: [Certificate], match: AllowListMatch) {
        self.match = match
        self.certificates = Set(listed.map(\.sha256))
        self.subjects = match == .subject ? Set(listed.map(\.subjectName)) : []
        self.keys = match == .spki ? Set(listed.map(\.spkiSHA256)) : []
        self.count = self.certificates.count
        self.listed = listed
    }

    /// Whether `leaf` is on the list by the configured comparison.
    func admits(_ leaf: CertificateFacts) -> Bool {
        switch self.match {
        case .certificate: self.certificates.contains(leaf.sha256)
        case .subject: self.subjects.contains(leaf.subject)
        case .spki: self.keys.contains(leaf.spki)
        }
    }

    /// Whether `leaf` is trusted as it is: only an exact certificate match in `certificate` mode.
    func pins(_ leaf: CertificateFacts) -> Bool {
        self.match == .certificate && self.certificates.contains(leaf.sha256)
    }
}
