import Testing

@Test func placeholderAuthTests() {}
