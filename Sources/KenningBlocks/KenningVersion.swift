import Foundation
import KenningCore

/// The version of swift-kenning recorded in measurements and generated scenarios.
public enum KenningVersion {
    public static let current = "0.1.0"
}
