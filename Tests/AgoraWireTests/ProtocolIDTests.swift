import Testing
@testable import AgoraWire

@Suite struct ProtocolIDTests {
    @Test func protocolIDsAreAbsolutePaths() {
        for id in [ProtocolIDs.multistream, ProtocolIDs.noise, ProtocolIDs.yamux, ProtocolIDs.identify, ProtocolIDs.ping] {
            #expect(id.hasPrefix("/"))
        }
    }
}
