fn main() {
    std::process::exit(lvsadm::app::main_entry());
}
