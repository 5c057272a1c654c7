import Dispatch
import Foundation
import KenningCore
import KenningModel

/// Failure inside a kernel; the session turns it into a `KenningError` naming the node.
struct KernelError: Error { let reason: String }
