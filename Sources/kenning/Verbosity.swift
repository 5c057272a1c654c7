import ArgumentParser
import Foundation
import KenningCore
import KenningEngine

enum Verbosity: String, ExpressibleByArgument, CaseIterable {
    case DEBUG, INFO, WARNING, ERROR, CRITICAL
}
