/// The lower-cased tokens of comma-separated `Connection` (or `Expect`) field values: `"Keep-Alive, Upgrade"` →
/// `["keep-alive", "upgrade"]`.
func http1Tokens(_ values: some Sequence<some StringProtocol>) -> Set<String> {
    var tokens = Set<String>()
    for value in values {
        for token in value.split(separator: ",") {
            let trimmed = token.drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }
            tokens.insert(String(trimmed.reversed()).lowercased())
        }
    }
    return tokens
}
