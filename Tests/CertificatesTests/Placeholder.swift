import Testing

@Test func placeholderCertificatesTests() {}
