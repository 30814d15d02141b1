import Testing
@testable import AgoraStore

@Suite struct StoreLayoutTests {
    @Test func layoutVersionIsPositive() {
        #expect(StoreLayout.currentVersion >= 1)
    }
}
