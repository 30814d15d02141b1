/// Greets people politely, in a few languages.
public struct Greeter: Sendable {
    public enum Language: String, Sendable, CaseIterable {
        case english, french, spanish
    }

    public var language: Language

    public init(language: Language = .english) {
        self.language = language
    }

    public func greet(_ name: String) -> String {
        switch language {
        case .english: "Hello, \(name)!"
        case .french: "Bonjour, \(name) !"
        case .spanish: "¡Hola, \(name)!"
        }
    }
}
