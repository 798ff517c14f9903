import Testing

@Test func placeholderRoutingTests() {}
