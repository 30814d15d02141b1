/// The on-disk layout version this binary writes. A store created by an older layout is
/// upgraded on open by the steps in `migrations/`; a newer one is refused.
public enum StoreLayout {
    public static let currentVersion: UInt32 = 5
}
