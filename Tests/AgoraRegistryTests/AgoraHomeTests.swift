import Testing
@testable import AgoraRegistry

@Suite struct AgoraHomeTests {
    @Test func environmentOverridesDefault() {
        #expect(AgoraHome.fromEnvironment(["AGORA_HOME": "/tmp/x"]).url.path == "/tmp/x")
        #expect(AgoraHome.fromEnvironment(["HOME": "/home/u"]).url.path == "/home/u/.agora")
    }
}
