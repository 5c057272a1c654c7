import KenningCore
import KenningModel

struct ConvGeometry: Hashable {
    let n, c, h, w, m, oh, ow, padTop, padLeft, padBottom, padRight: Int
    var outputShape: [Int] { [n, m, oh, ow] }
}
