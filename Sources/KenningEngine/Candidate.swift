import Foundation
import KenningBlocks
import KenningCore

/// One expanded pipeline and what happened to it.
public struct Candidate: Sendable {
    public var pipeline: JSONValue
    public var id: Int?
    public var exclusion: String?
}
