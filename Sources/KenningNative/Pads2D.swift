import Dispatch
import Foundation
import KenningCore
import KenningModel

struct Pads2D {
    var top = 0, left = 0, bottom = 0, right = 0
}
