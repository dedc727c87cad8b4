; When a change of the I flag takes effect (NESdev wiki, "CPU interrupts", delayed IRQ response
; after CLI, SEI and PLP): IRQ is polled at the end of an instruction's penultimate cycle. CLI, SEI
; and PLP change I after that poll, so the instruction after them still sees the old I; RTI
; restores P before its poll, so it takes effect at once.
;
; Method: the APU frame IRQ flag is set (written $4017 = $00 and waited 2 x 29,830 cycles with I
; set) and never acknowledged, so the IRQ line stays asserted through every check. The handler
; records X and the P byte the interrupt sequence pushed, and returns with I set.
; Checks (result code):
;   1  CLI with an IRQ pending: exactly one instruction runs before the IRQ (X = 1)
;   2  CLI then SEI: the IRQ is taken after SEI (X = 0) ...
;   3  ... and the P it pushed has I set (SEI had already set it)
;   4  PLP that clears I: one instruction runs before the IRQ (X = 1)
;   5  CLI then PLP that sets I: the IRQ is taken after PLP (X = 0)
;   6  RTI that clears I: the IRQ is taken right after RTI (X = 0) ...
;   7  ... returning to the address RTI pulled
  .include "shell.asm"

irq_x   = $10
irq_p   = $11
irq_ret = $12           ; 2 bytes: return address the IRQ pushed

main:
  lda #<irq_handler
  sta irq_ptr
  lda #>irq_handler
  sta irq_ptr+1
  lda #$00
  sta $4017             ; 4-step mode, IRQ enabled
  ldx #47
  jsr wait_x_1286       ; 60,453 cycles: the frame IRQ flag is set, the line asserted

  jsr arm               ; 1: CLI
  cli
  inx
  inx
  inx
  lda irq_x
  cmp #1
  beq @sei
  lda #1
  jmp finish
@sei:
  jsr arm               ; 2, 3: CLI; SEI
  cli
  sei
  inx
  inx
  lda irq_x
  beq @sei_p
  lda #2
  jmp finish
@sei_p:
  lda irq_p
  and #$04
  bne @plp_clear
  lda #3
  jmp finish
@plp_clear:
  jsr arm               ; 4: PLP clearing I
  lda #$20
  pha
  plp
  inx
  inx
  inx
  lda irq_x
  cmp #1
  beq @plp_set
  lda #4
  jmp finish
@plp_set:
  jsr arm               ; 5: CLI; PLP setting I
  lda #$24
  pha
  cli
  plp
  inx
  inx
  sei
  lda irq_x
  beq @rti
  lda #5
  jmp finish
@rti:
  jsr arm               ; 6, 7: RTI clearing I
  lda #>after_rti
  pha
  lda #<after_rti
  pha
  lda #$20
  pha
  rti
after_rti:
  inx
  inx
  sei
  lda irq_x
  beq @rti_return
  lda #6
  jmp finish
@rti_return:
  lda irq_ret
  cmp #<after_rti
  bne @fail7
  lda irq_ret+1
  cmp #>after_rti
  bne @fail7
  jmp passed
@fail7:
  lda #7
  jmp finish

; X = 0 and irq_x = $FF (no IRQ yet); I stays set.
arm:
  lda #$FF
  sta irq_x
  ldx #0
  rts

irq_handler:
  stx irq_x
  pla
  sta irq_p
  ora #$04              ; return with I set (the line stays asserted)
  tay
  pla
  sta irq_ret
  pha
  tsx
  lda $0102,x
  sta irq_ret+1
  tya
  pha
  rti
