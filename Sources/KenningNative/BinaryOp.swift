import Dispatch
import Foundation
import KenningCore
import KenningModel

enum BinaryOp {
    case add, sub, mul, div, max, min

    @inline(__always) func apply(_ a: Float, _ b: Float) -> Float {
        switch self {
        case .add: return a + b
        case .sub: return a - b
        case .mul: return a * b
        case .div: return a / b
        case .max: return Swift.max(a, b)
        case .min: return Swift.min(a, b)
        }
    }
}
