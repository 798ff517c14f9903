import HTTPTypes

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The last request head a connection built, from which the parser builds the next one that names the same `Host`.
///
/// An `HTTPRequest` validates each pseudo-header value it is given and keeps them in a heap object. A connection's
/// requests nearly always repeat their scheme (`https`) and `Host`: built in place from the previous request, a new
/// one needs only its path (and method, when it differs) set, and once the previous request has been let go of —
/// as it has when its response was written during the read — that heap object is reused rather than allocated.
/// The `Host` bytes are compared with the authority validated before, so they are not validated again.
///
/// A request whose target repeats the previous one byte for byte (a client polling one endpoint) keeps the
/// previous path too: no `String` is built for its target and `HTTPRequest`'s path setter (which copies the field
/// out, validates the value and copies it back) is not called.
///
/// ``trim()`` drops the previous request's fields (and a long path) once it is answered, so that an idle connection
/// keeps little more than its scheme and authority. A short path stays: `HTTPRequest`'s path setter costs about as
/// much as parsing a request head's fields.
struct HTTP1RequestReuse {
    /// The last request built with a `Host` field (origin-form target); `nil` until there is one.
    private var request: HTTPRequest?
    /// The validated `Host` value `request` carries as its authority.
    private(set) var authority: String?
    /// `request`'s method, kept apart: `HTTPRequest` decodes its method on every read.
    private var method = HTTPRequest.Method.get
    /// Whether `request` still holds a path or fields that ``trim()`` should drop.
    private var isTrimmed = true
    /// `request`'s path, kept apart: `HTTPRequest` builds a new `String` on every read of it.
    private(set) var path: String?
    /// The longest path ``trim()`` leaves in place.
    static let maxKeptPathLength = 128

    /// Whether `bytes[value]` is exactly `authority`, byte for byte.
    static func isSame(_ authority: String, as bytes: UnsafeRawBufferPointer, _ value: Range<Int>) -> Bool {
        guard authority.utf8.count == value.count else { return false }
        let equal = authority.utf8.withContiguousStorageIfAvailable { known in
            known.isEmpty || memcmp(known.baseAddress!, bytes.baseAddress! + value.lowerBound, known.count) == 0
        }
        return equal ?? authority.utf8.elementsEqual(bytes[value])
    }

    /// The kept ``path`` when `bytes[target]` repeats it byte for byte, else `nil`.
    func keptPath(ifSameAs bytes: UnsafeRawBufferPointer, _ target: Range<Int>) -> String? {
        guard let path = self.path, Self.isSame(path, as: bytes, target) else { return nil }
        return path
    }

    /// A request with the kept scheme and authority, `method`, `path` and `fields`; the caller checked the `Host`
    /// against ``authority`` with ``isSame(_:as:_:)``. `isKeptPath`: `path` is the kept ``path`` (from
    /// ``keptPath(ifSameAs:_:)``), which the request already carries.
    mutating func request(method: HTTPRequest.Method, path: String, isKeptPath: Bool, fields: HTTPFields) -> HTTPRequest
    {
        // Moved out of `self` while it changes: a second reference would make the change copy its storage.
        guard var request = self.request.take() else {
            let request = HTTPRequest(
                method: method,
                scheme: "https",
                authority: self.authority,
                path: path,
                headerFields: fields
            )
            self.request = request
            self.method = method
            self.path = path
            self.isTrimmed = Self.needsNoTrim(path: path, fields: fields)
            return request
        }
        if method != self.method {
            request.method = method
            self.method = method
        }
        if !isKeptPath {
            request.path = path
            self.path = path
        }
        if !fields.isEmpty || !self.isTrimmed { request.headerFields = fields }
        self.request = request
        self.isTrimmed = Self.needsNoTrim(path: self.path ?? path, fields: fields)
        return request
    }

    /// Whether a request with `path` and `fields` is already as ``trim()`` would leave it: no fields and a short
    /// path (a client that sends none, such as a load generator, is then never trimmed).
    private static func needsNoTrim(path: String, fields: HTTPFields) -> Bool {
        fields.isEmpty && path.utf8.count <= Self.maxKeptPathLength
    }

    /// Keeps `request`, whose authority came from the `Host` field `authority`, for the next request to reuse.
    mutating func keep(_ request: HTTPRequest, authority: String, method: HTTPRequest.Method) {
        self.request = request
        self.authority = authority
        self.method = method
        self.path = request.path
        self.isTrimmed = false
    }

    /// Drops the kept request's fields and a path longer than ``maxKeptPathLength`` (in place when nothing else
    /// holds the request any more).
    mutating func trim() {
        guard !self.isTrimmed, var request = self.request.take() else { return }
        if let path = self.path, path.utf8.count > Self.maxKeptPathLength {
            request.path = "/"
            self.path = "/"
        }
        request.headerFields = HTTPFields()
        self.request = request
        self.isTrimmed = true
    }

    /// Lets go of everything kept (about 0.4 KiB: the request's pseudo-header storage and its path), for a
    /// connection that has gone idle; its next request is built from scratch, as a connection's first is.
    mutating func release() {
        self = HTTP1RequestReuse()
    }
}
