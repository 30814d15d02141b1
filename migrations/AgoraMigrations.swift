import AgoraStore

/// Every store layout step this binary knows, in order. Append new steps; never edit a
/// released one, since stores in the field already ran it.
public enum AgoraMigrations {
    public static let all: [MigrationStep] = [Layout1.step, Layout2.step, Layout3.step, Layout4.step, Layout5.step]
}
