import GatehouseRouting
import GatehouseTransport
import HTTPTypes
import Testing

@Suite struct QueryTests {
    func query(_ target: String) -> QueryParameters {
        Request(head: HTTPRequest(method: .get, scheme: "https", authority: "x", path: target)).query
    }

    @Test func decodesPercentEscapesAndPlus() {
        let query = self.query("/api/hello?name=J%C3%BCrgen+M%C3%BCller&x=1")
        #expect(query["name"] == "Jürgen Müller")
        #expect(query["x"] == "1")
    }

    @Test func missingEmptyAndBareNames() {
        let query = self.query("/api/hello?name=&flag&&a=b=c")
        #expect(query["name"] == "")
        #expect(query["flag"] == "")
        #expect(query["a"] == "b=c")
        #expect(query["absent"] == nil)
        #expect(self.query("/api/hello").pairs.isEmpty)
    }

    @Test func repeatedNamesKeepOrder() {
        let query = self.query("/p?tag=a&tag=b&tag=c")
        #expect(query["tag"] == "a")
        #expect(query.values(for: "tag") == ["a", "b", "c"])
    }

    @Test func namesAreComparedDecodedAndWhole() {
        let query = self.query("/p?nam=1&names=2&na%6De=3&first+name=Ada&&=empty&caf%C3%A9=au+lait&")
        #expect(query["name"] == "3")
        #expect(query["first name"] == "Ada")
        #expect(query[""] == "empty")
        #expect(query["café"] == "au lait")
        #expect(query.pairs.map(\.name) == ["nam", "names", "name", "first name", "", "café"])
        #expect(query.pairs.map(\.value) == ["1", "2", "3", "Ada", "empty", "au lait"])
        #expect(self.query("/p?&&&").pairs.isEmpty)
    }

    @Test func malformedEscapesStayAsTheyAre() {
        let query = self.query("/p?a=100%&b=%zz&c=%4")
        #expect(query["a"] == "100%")
        #expect(query["b"] == "%zz")
        #expect(query["c"] == "%4")
    }

    @Test func pathExcludesQuery() {
        let request = Request(head: HTTPRequest(method: .get, scheme: "https", authority: "x", path: "/a/b?c=d"))
        #expect(request.path == "/a/b")
        #expect(request.rawQuery == "c=d")
        let unicode = Request(head: HTTPRequest(method: .get, scheme: "https", authority: "x", path: "/é/ü?q=ö?&r"))
        #expect(unicode.path == "/é/ü")
        #expect(unicode.rawQuery == "q=ö?&r")
        #expect(unicode.query["q"] == "ö?")
        let bare = Request(head: HTTPRequest(method: .get, scheme: "https", authority: "x", path: "/only"))
        #expect(bare.path == "/only")
        #expect(bare.rawQuery == "")
    }

    @Test func pathAndQueryFollowAChangedHead() {
        var request = Request(head: HTTPRequest(method: .get, scheme: "https", authority: "x", path: "/a?b=c"))
        request.head.path = "/rewritten?name=z"
        #expect(request.path == "/rewritten")
        #expect(request.query["name"] == "z")
        request.head = HTTPRequest(method: .get, scheme: "https", authority: "x", path: nil)
        #expect(request.path == "/")
        #expect(request.rawQuery == "")
    }
}
