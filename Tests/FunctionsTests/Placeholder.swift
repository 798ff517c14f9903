import Testing

@Test func placeholderFunctionsTests() {}
