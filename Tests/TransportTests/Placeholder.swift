import Testing

@Test func placeholderTransportTests() {}
