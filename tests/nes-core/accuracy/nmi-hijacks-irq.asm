; IRQ and NMI (NESdev wiki, "CPU interrupts", interrupt hijacking): an IRQ is serviced by the
; same 7-cycle sequence as BRK (two dummy reads of PC, push PCH, push PCL, push P with B clear,
; vector low, vector high). An NMI asserted during its first four cycles takes over the vector
; fetch: the CPU jumps through $FFFA with the IRQ's return address and P (B clear) on the stack,
; and the IRQ handler does not run for it (the IRQ line, still asserted, is taken after the NMI
; handler returns). The sequence does not poll for interrupts, so an NMI asserted later in it is
; serviced only after the first instruction of the IRQ handler.
; An NMI edge at a cycle the program chooses (NESdev wiki, "PPU registers", PPUCTRL): setting
; $2000 bit 7 while the vertical blank flag is set asserts NMI at once. The write is the last
; cycle of `STA $2000` and that instruction polled before it (the NMI follows the *next*
; instruction, as ppu_vbl_nmi's nmi_control checks), so when an IRQ is pending and unmasked the
; IRQ sequence starts right after the write and the NMI edge lands in its first cycle.
;
; Method, part 1: the APU frame IRQ flag is set (4-step mode, left unacknowledged), the program
; waits into a vertical blank without reading $2002, then `CLI` and `STA $2000` (A = $80): the
; IRQ is polled at STA's next-to-last cycle, its sequence starts, and the NMI asserted by the write
; must take it over. Part 2: with NMI on, a loop takes the still-pending IRQ over and over
; (CLI, NOP, the IRQ, whose handler returns with I set) for 120 frames, so the vertical blank
; NMIs land at different points of the loop; the NMI handler looks at the return address.
; Checks (result code):
;   1  part 1: no NMI came
;   2  part 1: the NMI did not take over the IRQ sequence (the IRQ handler had started: the NMI
;      would not return to the instruction after `STA $2000`, or the IRQ handler ran first)
;   3  part 1: the P the NMI handler found on the stack has B set
;   4  part 2: no NMI in 120 frames came late in an IRQ sequence (returning to the IRQ
;      handler's second instruction, after its first one ran)
;   5  part 2: an NMI was serviced right after an IRQ sequence, before the first instruction of
;      the IRQ handler
  .include "shell.asm"

nmi_count = $10
irq_count = $11
irq_seen  = $12         ; part 1: irq_count when the NMI handler started
nmi_p     = $13         ; part 1: the P the NMI handler found on the stack
nmi_ret   = $14         ; 2 bytes: part 1: its return address
late      = $16         ; part 2: NMIs that returned to irq_body (after the handler's first
                        ; instruction, shell.asm's JMP (irq_ptr))
wrong     = $17         ; part 2: NMIs that returned to irq_entry (before it)

main:
  lda #<nmi_first
  sta nmi_ptr
  lda #>nmi_first
  sta nmi_ptr+1
  lda #<irq_first
  sta irq_ptr
  lda #>irq_first
  sta irq_ptr+1
  lda #0
  sta nmi_count
  sta irq_count
  sta late
  sta wrong
  lda #$FF
  sta irq_seen
  jsr wait_vbl
  lda #$00
  sta $4017             ; 4-step mode, frame IRQ on: the flag rises 29,829 cycles later
  jsr wait_vbl          ; the start of the next vertical blank (the read clears the flag)
  ldx #24
  jsr wait_x_1286       ; 30,875 cycles: about 1,100 into the next vertical blank (it lasts
                        ; 2,273), its flag unread; the frame IRQ flag is set
  lda #$80
  cli
  sta $2000             ; the IRQ sequence follows; the write asserts NMI
after_sta:
  nop                   ; (the NMI returns here; the still-pending IRQ follows this NOP)
  sei
  lda #$00
  sta $2000
  lda nmi_count         ; 1
  beq @fail1
  lda irq_seen          ; 2
  bne @fail2
  lda nmi_ret
  cmp #<after_sta
  bne @fail2
  lda nmi_ret+1
  cmp #>after_sta
  bne @fail2
  lda nmi_p             ; 3
  and #$10
  bne @fail3
  jmp part2
@fail1:
  lda #1
  jmp finish
@fail2:
  lda #2
  jmp finish
@fail3:
  lda #3
  jmp finish

part2:
  lda #<nmi_sweep
  sta nmi_ptr
  lda #>nmi_sweep
  sta nmi_ptr+1
  lda #<irq_sweep
  sta irq_ptr
  lda #>irq_sweep
  sta irq_ptr+1
  lda #0
  sta nmi_count
  lda #$00
  sta $4017             ; the frame IRQ flag rises again and stays set (nothing reads $4015)
  jsr wait_vbl
  jsr wait_vbl
  lda #$80
  sta $2000             ; NMI on
@loop:
  cli
  nop                   ; the IRQ is taken after this NOP
  lda nmi_count
  cmp #120
  bcc @loop
  sei
  lda #$00
  sta $2000
  lda wrong             ; 5
  bne @fail5
  lda late              ; 4
  beq @fail4
  jmp passed
@fail4:
  lda #4
  jmp finish
@fail5:
  lda #5
  jmp finish

; Part 1 handlers.
nmi_first:
  pha
  txa
  pha
  lda irq_count
  sta irq_seen
  tsx
  lda $0103,x           ; P as the interrupt sequence pushed it
  sta nmi_p
  lda $0104,x
  sta nmi_ret
  lda $0105,x
  sta nmi_ret+1
  inc nmi_count
  pla
  tax
  pla
  rti

irq_first:
  inc irq_count
  lda $4015             ; acknowledge the frame IRQ
  pla
  ora #$04              ; return with I set
  pha
  rti

; Part 2 handlers.
nmi_sweep:
  pha
  txa
  pha
  tsx
  lda $0105,x           ; the return address
  cmp #>irq_body
  bne @entry
  lda $0104,x
  cmp #<irq_body
  bne @entry
  inc late
@entry:
  lda $0105,x
  cmp #>irq_entry
  bne @done
  lda $0104,x
  cmp #<irq_entry
  bne @done
  inc wrong
@done:
  inc nmi_count
  pla
  tax
  pla
  rti

irq_sweep:
irq_body:
  pla                   ; leave the frame IRQ flag set; return with I set
  ora #$04
  pha
  rti
